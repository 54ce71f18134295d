import { ErrorCode, type Feature, type Op } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import type { Database } from './client.ts';
import { createMap, loadSnapshot } from './maps.ts';
import { type CommitOpInput, type CommitResult, commitOp, readOps } from './op-log.ts';
import { BACKENDS } from './testing/backends.ts';
import { useTestDatabase } from './testing/test-database.ts';

function feature(id: string, lng = 1, properties: Feature['properties'] = {}): Feature {
  return { type: 'Feature', id, geometry: { type: 'Point', coordinates: [lng, 45] }, properties, version: 1 };
}

const create = (id: string, lng?: number, properties?: Feature['properties']): Op => ({
  kind: 'feature.create',
  feature: feature(id, lng, properties),
});
const update = (id: string, properties: Record<string, string | null>): Op => ({
  kind: 'feature.update',
  id,
  properties,
});
const move = (id: string, lng: number): Op => ({
  kind: 'feature.move',
  id,
  geometry: { type: 'Point', coordinates: [lng, 46] },
});
const remove = (id: string): Op => ({ kind: 'feature.delete', id });

/** What the map held before the group: live `kept` and `other`, tombstoned `gone`. */
const BEFORE: Op[] = [
  create('kept', 1, { title: 'K' }),
  create('other', 2),
  create('gone', 3),
  remove('gone'),
];

/**
 * Single ops of the same and of different features, a refused op in the middle of each kind, a retry
 * of an op committed before the group and one of an op of the group, an op id reused for another op,
 * a rename, and a layer op and a bulk op that split the group's runs of single ops.
 */
const GROUP: { opId: string; op: Op }[] = [
  { opId: 'g1', op: create('a', 10) },
  { opId: 'g2', op: update('a', { title: 'A' }) },
  { opId: 'g3', op: create('a', 11) }, // FEATURE_EXISTS
  { opId: 'g4', op: move('a', 12) },
  { opId: 'g5', op: update('kept', { title: null, note: 'n' }) },
  { opId: 'g6', op: create('gone', 4) }, // FEATURE_EXISTS (deleted)
  { opId: 'b1', op: BEFORE[1] as Op }, // a retry of the op committed before: duplicate
  { opId: 'g2', op: update('a', { title: 'A' }) }, // a retry of g2: duplicate
  { opId: 'g2', op: update('a', { title: 'B' }) }, // OP_ID_REUSED
  { opId: 'g7', op: remove('a') },
  { opId: 'g8', op: update('a', { title: 'late' }) }, // FEATURE_NOT_FOUND
  { opId: 'g9', op: create('a', 13) }, // FEATURE_EXISTS (deleted within the group)
  { opId: 'g10', op: { kind: 'map.rename', name: 'Renamed' } },
  { opId: 'g11', op: create('b', 20, { layer: 'stops' }) }, // LAYER_NOT_FOUND: not added yet
  {
    opId: 'g12',
    op: { kind: 'layer.add', layer: { id: 'stops', kind: 'user', name: 'Stops', order: 1, style: {} } },
  },
  { opId: 'g13', op: create('b', 21, { layer: 'stops' }) },
  { opId: 'g14', op: update('other', { layer: 'stops' }) },
  { opId: 'g15', op: move('other', 22) },
  { opId: 'g16', op: { kind: 'features.delete', ids: ['b', 'nowhere'] } },
  { opId: 'g17', op: move('b', 23) }, // FEATURE_NOT_FOUND: the bulk delete took it
  { opId: 'g18', op: update('kept', { title: 'again' }) },
  { opId: 'g19', op: remove('kept') },
];

const EXPECTED = [
  'committed',
  'committed',
  ErrorCode.FEATURE_EXISTS,
  'committed',
  'committed',
  ErrorCode.FEATURE_EXISTS,
  'duplicate',
  'duplicate',
  ErrorCode.OP_ID_REUSED,
  'committed',
  ErrorCode.FEATURE_NOT_FOUND,
  ErrorCode.FEATURE_EXISTS,
  'committed',
  ErrorCode.LAYER_NOT_FOUND,
  'committed',
  'committed',
  'committed',
  'committed',
  'committed',
  ErrorCode.FEATURE_NOT_FOUND,
  'committed',
  'committed',
];

const T0 = 1_780_000_000_000;

describe.each(BACKENDS)('group commit on $kind', ({ create: createTarget }) => {
  let db: Database;
  useTestDatabase(createTarget, (opened) => {
    db = opened;
  });

  /** A map holding BEFORE, committed one op at a time. */
  async function mapWithHistory(): Promise<string> {
    const { map } = await createMap(db, { name: 'Group' });
    for (const [i, op] of BEFORE.entries()) {
      await commitOp(db, { mapId: map.id, clientId: 'c', opId: `b${i}`, op, now: T0 + i });
    }
    return map.id;
  }

  const inputsFor = (mapId: string): CommitOpInput[] =>
    GROUP.map(({ opId, op }, i) => ({ mapId, clientId: 'c', opId, op, now: T0 + 100 + i }));

  /** Everything the database holds about a map's features and ops, without its id. */
  async function stored(mapId: string) {
    const features = await db.prisma.feature.findMany({ where: { mapId }, orderBy: { id: 'asc' } });
    const snapshot = await loadSnapshot(db, mapId);
    return {
      features: features.map(({ mapId: _mapId, ...row }) => row),
      snapshot: {
        name: snapshot?.map.name,
        seq: snapshot?.seq,
        features: snapshot?.features,
        layers: snapshot?.layers,
      },
      log: await readOps(db, mapId, 1, 100),
    };
  }

  /** How many transactions wrote the map's op-log rows (each row's xmin names its transaction). */
  async function transactionsThatWrote(mapId: string, fromSeq: number): Promise<number> {
    const [row] = await db.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(DISTINCT xmin::text)::int AS n FROM "Op" WHERE "mapId" = ${mapId} AND seq >= ${fromSeq}`;
    return row?.n ?? 0;
  }

  const outcome = (result: CommitResult) => (result.status === 'rejected' ? result.code : result.status);

  it('gives a group of mixed ops the answers, rows and records of the same ops committed one by one', async () => {
    const oneByOneMap = await mapWithHistory();
    const oneByOne: CommitResult[] = [];
    for (const input of inputsFor(oneByOneMap)) oneByOne.push(await commitOp(db, input));

    const groupMap = await mapWithHistory();
    const grouped = await Promise.all(inputsFor(groupMap).map((input) => commitOp(db, input)));
    // Sent in one turn, the whole group went in one transaction.
    expect(await transactionsThatWrote(groupMap, BEFORE.length + 1)).toBe(1);

    expect(grouped.map(outcome)).toEqual(EXPECTED);
    expect(oneByOne.map(outcome)).toEqual(EXPECTED);
    expect(grouped).toEqual(oneByOne);
    expect(await stored(groupMap)).toEqual(await stored(oneByOneMap));

    // The checks above would pass if both paths were wrong alike: pin what the rows must be.
    const { features, snapshot, log } = await stored(groupMap);
    expect(snapshot.name).toBe('Renamed');
    expect(log.map((record) => record.seq)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
    const byId = new Map(features.map((row) => [row.id, row]));
    expect(byId.get('a')).toMatchObject({
      deleted: true,
      version: 4,
      geometry: { type: 'Point', coordinates: [12, 46] },
      properties: { title: 'A' },
      createdSeq: 5,
      createdAt: new Date(T0 + 100),
      updatedAt: new Date(T0 + 109),
    });
    expect(byId.get('kept')).toMatchObject({
      deleted: true,
      version: 4,
      properties: { note: 'n', title: 'again' },
      createdSeq: 1,
      createdAt: new Date(T0),
    });
    expect(byId.get('other')).toMatchObject({ deleted: false, version: 3, properties: { layer: 'stops' } });
    expect(byId.get('b')).toMatchObject({ deleted: true, version: 2 });
    expect(byId.get('gone')).toMatchObject({ deleted: true, version: 2, geometry: { coordinates: [3, 45] } });
    expect(snapshot.features?.map((f) => f.id)).toEqual(['other']);
  });

  it('gives concurrent writers of one map gap-free seqs and commits every acknowledged op once', async () => {
    const { map } = await createMap(db, { name: 'Busy' });
    const WRITERS = 40;
    const OPS_PER_WRITER = 12;
    const writer = async (w: number) => {
      const results: CommitResult[] = [];
      for (let i = 0; i < OPS_PER_WRITER; i++) {
        const id = `w${w}`;
        const op = i === 0 ? create(id, w) : i % 3 === 0 ? move(id, i) : update(id, { title: `${w}-${i}` });
        const input = { mapId: map.id, clientId: `writer-${w}`, opId: `o${i}`, op };
        const result = await commitOp(db, input);
        results.push(result);
        // Every fourth op is sent again, as by a client whose answer was lost: it is not applied twice.
        if (i % 4 === 1) expect(await commitOp(db, input)).toEqual({ ...result, status: 'duplicate' });
      }
      return results;
    };
    const perWriter = await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    const total = WRITERS * OPS_PER_WRITER;
    const seqs = perWriter.flat().map((result) => {
      if (result.status !== 'committed') throw new Error(`expected committed, got ${JSON.stringify(result)}`);
      return result.record.seq;
    });
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const log = await readOps(db, map.id, 1, total + 10);
    expect(log.map((record) => record.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(new Set(log.map((record) => `${record.clientId}/${record.opId}`)).size).toBe(total);
    const snapshot = await loadSnapshot(db, map.id);
    expect(snapshot?.seq).toBe(total);
    for (const f of snapshot?.features ?? []) expect(f.version).toBe(OPS_PER_WRITER);
    expect(snapshot?.features).toHaveLength(WRITERS);
    // The writers' ops went in groups, fewer transactions than ops.
    expect(await transactionsThatWrote(map.id, 1)).toBeLessThan(total);
  });
});
