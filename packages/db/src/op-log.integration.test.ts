import {
  applyOp,
  canonicalState,
  createMapState,
  ErrorCode,
  type Feature,
  LIMITS,
  MeridianError,
  type Op,
  stateHash,
} from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import type { Database } from './client.ts';
import { getFeedBookkeeping, listLayers, updateFeedBookkeeping } from './layers.ts';
import { createMap, getMap, loadSnapshot } from './maps.ts';
import { type CommitOpInput, type CommitResult, commitOp, readOps } from './op-log.ts';
import { BACKENDS } from './testing/backends.ts';
import { useTestDatabase } from './testing/test-database.ts';

function point(id: string, lng = 2.35, lat = 48.85, title?: string): Op {
  const feature: Feature = {
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [lng, lat] },
    properties: title === undefined ? {} : { title },
    version: 0,
  };
  return { kind: 'feature.create', feature };
}

function entry(id: string, lng: number, title = id): Feature {
  return {
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [lng, 10] },
    properties: { title },
    version: 0,
  };
}

function addLayer(id: string, name = id): Op {
  return { kind: 'layer.add', layer: { id, kind: 'feed', url: `https://feeds.example/${id}.atom`, name } };
}

function expectCommitted(result: CommitResult) {
  if (result.status !== 'committed') throw new Error(`expected committed, got ${JSON.stringify(result)}`);
  return result.record;
}

describe.each(BACKENDS)('op log on $kind', ({ create }) => {
  let db: Database;
  let opCounter = 0;
  useTestDatabase(create, (opened) => {
    db = opened;
  });

  async function newMap(name = 'Ops'): Promise<string> {
    return (await createMap(db, { name })).map.id;
  }

  function commit(mapId: string, op: Op, extra: Partial<CommitOpInput> = {}): Promise<CommitResult> {
    opCounter += 1;
    return commitOp(db, { mapId, clientId: 'client-a', opId: `op-${opCounter}`, op, ...extra });
  }

  it('commits feature ops with seq 1, 2, 3… and a snapshot equal to replaying the log with applyOp', async () => {
    const mapId = await newMap();
    const ops: Op[] = [
      point('cafe', 2.35, 48.85, 'Café'),
      point('park', 2.3, 48.86),
      { kind: 'feature.update', id: 'cafe', properties: { description: 'Croissants', color: '#e4572e' } },
      { kind: 'feature.move', id: 'park', geometry: { type: 'Point', coordinates: [2.31, 48.87] } },
      { kind: 'feature.update', id: 'cafe', properties: { title: null, icon: 'cafe' } },
      point('gone', 0, 0),
      { kind: 'feature.delete', id: 'gone' },
      {
        kind: 'feature.create',
        feature: {
          type: 'Feature',
          id: 'route',
          geometry: {
            type: 'LineString',
            coordinates: [
              [2.35, 48.85],
              [2.29, 48.86, 35],
            ],
          },
          properties: { title: 'Walk' },
          version: 0,
        },
      },
      { kind: 'map.rename', name: 'Paris' },
    ];
    const records = [];
    for (const op of ops) records.push(expectCommitted(await commit(mapId, op, { now: 1_700_000_000_000 })));
    expect(records.map((r) => r.seq)).toEqual(ops.map((_, i) => i + 1));
    expect(records.every((r) => r.at === 1_700_000_000_000)).toBe(true);

    const snapshot = await loadSnapshot(db, mapId);
    expect(snapshot?.seq).toBe(ops.length);
    expect(snapshot?.map).toEqual({ id: mapId, name: 'Paris' });
    expect(snapshot?.features.find((f) => f.id === 'cafe')).toEqual({
      type: 'Feature',
      id: 'cafe',
      geometry: { type: 'Point', coordinates: [2.35, 48.85] },
      properties: { description: 'Croissants', color: '#e4572e', icon: 'cafe' },
      version: 3,
    });
    expect(snapshot?.features.map((f) => f.id)).toEqual(['cafe', 'park', 'route']);

    const replayed = createMapState('Ops');
    for (const record of await readOps(db, mapId, 1, ops.length))
      expect(applyOp(replayed, record.op).ok).toBe(true);
    const stored = createMapState(snapshot?.map.name ?? '', snapshot?.features ?? []);
    expect(canonicalState(stored)).toBe(canonicalState(replayed));
    expect((await getMap(db, mapId))?.name).toBe('Paris');
  });

  it('rejects each invalid op with its code, without consuming a seq', async () => {
    const mapId = await newMap();
    expectCommitted(await commit(mapId, point('a')));
    expectCommitted(await commit(mapId, point('dead')));
    expectCommitted(await commit(mapId, { kind: 'feature.delete', id: 'dead' }));
    const before = await loadSnapshot(db, mapId);

    const cases: [Op, ErrorCode][] = [
      [point('a'), ErrorCode.FEATURE_EXISTS],
      [point('dead'), ErrorCode.FEATURE_EXISTS],
      [{ kind: 'feature.update', id: 'nope', properties: { title: 'x' } }, ErrorCode.FEATURE_NOT_FOUND],
      [{ kind: 'feature.update', id: 'dead', properties: { title: 'x' } }, ErrorCode.FEATURE_NOT_FOUND],
      [
        { kind: 'feature.move', id: 'nope', geometry: { type: 'Point', coordinates: [1, 1] } },
        ErrorCode.FEATURE_NOT_FOUND,
      ],
      [{ kind: 'feature.delete', id: 'dead' }, ErrorCode.FEATURE_NOT_FOUND],
    ];
    for (const [op, code] of cases) {
      const result = await commit(mapId, op);
      expect(result).toMatchObject({ status: 'rejected', code });
    }
    expect(await commit('no-such-map', point('x'))).toMatchObject({
      status: 'rejected',
      code: ErrorCode.MAP_NOT_FOUND,
    });

    expect(await loadSnapshot(db, mapId)).toEqual(before);
    expect((await readOps(db, mapId, 1, 100)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(expectCommitted(await commit(mapId, point('b'))).seq).toBe(4);
  });

  it('answers a retried op id with the original record and changes nothing', async () => {
    const mapId = await newMap();
    const input = { mapId, clientId: 'client-r', opId: 'retry-1', op: point('r', 1, 1, 'R') };
    const first = expectCommitted(await commitOp(db, { ...input, now: 1_000 }));
    const again = await commitOp(db, { ...input, now: 2_000 });
    expect(again).toEqual({ status: 'duplicate', record: first });

    // The same op id from another client is a different op.
    expect(expectCommitted(await commitOp(db, { ...input, clientId: 'client-s', op: point('s') })).seq).toBe(
      2,
    );
    expect((await getMap(db, mapId))?.seq).toBe(2);
  });

  it('refuses an op id reused for a different op', async () => {
    const mapId = await newMap();
    const input = { mapId, clientId: 'client-r', opId: 'reused' };
    expectCommitted(await commitOp(db, { ...input, op: point('one') }));
    const result = await commitOp(db, { ...input, op: point('two') });
    expect(result).toMatchObject({ status: 'rejected', code: ErrorCode.OP_ID_REUSED });
    expect((await getMap(db, mapId))?.seq).toBe(1);
  });

  it('commits one of several identical retries sent at once; the rest are duplicates of it', async () => {
    const mapId = await newMap();
    const input = { mapId, clientId: 'client-c', opId: 'burst', op: point('burst') };
    const results = await Promise.all(Array.from({ length: 6 }, () => commitOp(db, input)));
    const committed = results.filter((r) => r.status === 'committed');
    expect(committed).toHaveLength(1);
    const record = committed[0]?.record;
    expect(results.filter((r) => r.status === 'duplicate')).toEqual(
      Array(5).fill({ status: 'duplicate', record }),
    );
    expect((await getMap(db, mapId))?.seq).toBe(1);
  });

  it('gives concurrent writers of one map a strictly increasing, gap-free seq', async () => {
    const mapId = await newMap();
    const WRITERS = 8;
    const OPS_PER_WRITER = 25;
    const writer = async (w: number) => {
      const seqs: number[] = [];
      for (let i = 0; i < OPS_PER_WRITER; i++) {
        const op =
          i === 0
            ? point(`w${w}`)
            : ({ kind: 'feature.update', id: `w${w}`, properties: { title: `${i}` } } as const);
        const record = expectCommitted(
          await commitOp(db, { mapId, clientId: `writer-${w}`, opId: `op-${i}`, op }),
        );
        seqs.push(record.seq);
      }
      return seqs;
    };
    const perWriter = await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    const total = WRITERS * OPS_PER_WRITER;

    for (const seqs of perWriter) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(perWriter.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const log = await readOps(db, mapId, 1, total);
    expect(log.map((r) => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const snapshot = await loadSnapshot(db, mapId);
    expect(snapshot?.seq).toBe(total);
    expect(snapshot?.features.map((f) => [f.id, f.version, f.properties.title]).sort()).toEqual(
      Array.from({ length: WRITERS }, (_, w) => [`w${w}`, OPS_PER_WRITER, `${OPS_PER_WRITER - 1}`]).sort(),
    );
  });

  it('commits a burst of ops sent at once on one map, none refused, while other maps still commit', async () => {
    const mapId = await newMap('Burst');
    const otherMapId = await newMap('Other');
    // More commits than the pool can serve before its wait bound: they must queue, never be refused.
    const BURST = 1000;
    let burstDone = 0;
    const burst = Array.from({ length: BURST }, (_, i) =>
      commitOp(db, { mapId, clientId: 'burst', opId: `b${i}`, op: point(`b${i}`) }).then((result) => {
        burstDone++;
        return result;
      }),
    );
    // A commit on another map does not wait behind the burst's queue.
    expectCommitted(await commitOp(db, { mapId: otherMapId, clientId: 'other', opId: 'o1', op: point('o') }));
    expect(burstDone).toBeLessThan(BURST);

    const seqs = (await Promise.all(burst)).map((result) => expectCommitted(result).seq);
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: BURST }, (_, i) => i + 1));
    expect((await readOps(db, mapId, 1, BURST + 1)).map((r) => r.seq)).toEqual(
      Array.from({ length: BURST }, (_, i) => i + 1),
    );
    // Group commit: the ops sent in one turn go MAX_GROUP_OPS (64) at a time.
    expect(await transactionsThatWrote(mapId)).toBe(Math.ceil(BURST / 64));
  });

  /** How many transactions inserted the map's op-log rows (each row's xmin names its transaction). */
  async function transactionsThatWrote(mapId: string): Promise<number> {
    const [row] = await db.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(DISTINCT xmin::text)::int AS n FROM "Op" WHERE "mapId" = ${mapId}`;
    return row?.n ?? 0;
  }

  it('group-commits the ops waiting on one map, each answered as if committed alone', async () => {
    const mapId = await newMap('Group');
    const inputs: Omit<CommitOpInput, 'mapId'>[] = [
      { clientId: 'g', opId: 'o1', op: point('a') },
      { clientId: 'g', opId: 'o2', op: point('a') },
      { clientId: 'g', opId: 'o3', op: { kind: 'feature.update', id: 'a', properties: { title: 'A' } } },
      { clientId: 'g', opId: 'o3', op: { kind: 'feature.update', id: 'a', properties: { title: 'A' } } },
      { clientId: 'g', opId: 'o3', op: { kind: 'feature.delete', id: 'a' } },
      { clientId: 'g', opId: 'o4', op: { kind: 'map.rename', name: 'Grouped' } },
      { clientId: 'g', opId: 'o5', op: { kind: 'feature.delete', id: 'a' } },
      { clientId: 'g', opId: 'o6', op: point('b') },
      { clientId: 'g', opId: 'o7', op: { kind: 'feature.update', id: 'a', properties: { title: 'gone' } } },
    ];
    const results = await Promise.all(inputs.map((input) => commitOp(db, { ...input, mapId })));
    expect(results.map((result) => (result.status === 'rejected' ? result.code : result.status))).toEqual([
      'committed',
      ErrorCode.FEATURE_EXISTS,
      'committed',
      'duplicate',
      ErrorCode.OP_ID_REUSED,
      'committed',
      'committed',
      'committed',
      ErrorCode.FEATURE_NOT_FOUND,
    ]);
    const seqs = results.map((result) => (result.status === 'rejected' ? null : result.record.seq));
    expect(seqs).toEqual([1, null, 2, 2, null, 3, 4, 5, null]);
    // Sent in one turn, they all went in one transaction.
    expect(await transactionsThatWrote(mapId)).toBe(1);

    const log = await readOps(db, mapId, 1, 10);
    expect(log.map((record) => record.opId)).toEqual(['o1', 'o3', 'o4', 'o5', 'o6']);
    const replayed = createMapState('Group');
    for (const record of log) expect(applyOp(replayed, record.op).ok).toBe(true);
    const snapshot = await loadSnapshot(db, mapId);
    expect(snapshot?.seq).toBe(5);
    expect(snapshot?.map.name).toBe('Grouped');
    expect(stateHash(createMapState(snapshot?.map.name ?? '', snapshot?.features ?? []))).toBe(
      stateHash(replayed),
    );
  });

  it('reads op ranges inclusively, in seq order, clipped to what exists', async () => {
    const mapId = await newMap();
    for (let i = 0; i < 5; i++) expectCommitted(await commit(mapId, point(`p${i}`)));
    const seqs = async (from: number, to: number) => (await readOps(db, mapId, from, to)).map((r) => r.seq);
    expect(await seqs(2, 4)).toEqual([2, 3, 4]);
    expect(await seqs(3, 3)).toEqual([3]);
    expect(await seqs(-10, 2)).toEqual([1, 2]);
    expect(await seqs(4, Number.MAX_SAFE_INTEGER)).toEqual([4, 5]);
    expect(await seqs(6, 10)).toEqual([]);
    expect(await seqs(4, 2)).toEqual([]);
    expect(await readOps(db, 'missing', 1, 10)).toEqual([]);
    const [record] = await readOps(db, mapId, 1, 1);
    expect(record).toEqual({
      seq: 1,
      opId: expect.any(String),
      clientId: 'client-a',
      op: point('p0'),
      at: expect.any(Number),
    });
    await expect(readOps(db, mapId, 1.5, 3)).rejects.toMatchObject({ code: ErrorCode.INVALID_MESSAGE });
  });

  it('commits layer ops so that replaying the log with applyOp equals the snapshot, layers included', async () => {
    const mapId = await newMap('Feeds');
    const ops: Op[] = [
      point('mine', 1, 1, 'Mine'),
      addLayer('quakes', 'Earthquakes'),
      addLayer('rain'),
      { kind: 'layer.entries', layerId: 'quakes', features: [entry('q-1', 1), entry('q-2', 2)] },
      // A redelivered entry replaces the feature whole; the last copy of a repeated id wins.
      {
        kind: 'layer.entries',
        layerId: 'quakes',
        features: [entry('q-1', 5, 'moved'), entry('q-3', 3), entry('q-3', 4, 'again')],
      },
      { kind: 'feature.update', id: 'q-2', properties: { description: 'felt' } },
      point('gone', 0, 0),
      { kind: 'feature.delete', id: 'gone' },
      // An entry with a deleted feature's id brings it back (at version 1, as in a replica).
      { kind: 'layer.entries', layerId: 'rain', features: [entry('gone', 7), entry('mine', 8, 'taken')] },
      addLayer('wind'),
      { kind: 'layer.entries', layerId: 'wind', features: [entry('w-1', 9)] },
      { kind: 'layer.remove', id: 'wind' },
    ];
    for (const op of ops) expectCommitted(await commit(mapId, op));

    const snapshot = await loadSnapshot(db, mapId);
    expect(snapshot?.layers.map((l) => l.id)).toEqual(['quakes', 'rain']);
    expect(snapshot?.layers[0]).toEqual({
      id: 'quakes',
      kind: 'feed',
      url: 'https://feeds.example/quakes.atom',
      name: 'Earthquakes',
    });
    const byId = new Map(snapshot?.features.map((f) => [f.id, f]));
    expect(byId.get('q-1')).toMatchObject({ version: 2, properties: { title: 'moved', layer: 'quakes' } });
    expect(byId.get('q-3')).toMatchObject({ version: 1, properties: { title: 'again', layer: 'quakes' } });
    expect(byId.get('gone')).toMatchObject({ version: 1, properties: { layer: 'rain' } });
    expect(byId.get('mine')).toMatchObject({ version: 2, properties: { title: 'taken', layer: 'rain' } });
    expect(byId.has('w-1')).toBe(false);

    const replayed = createMapState('Feeds');
    for (const record of await readOps(db, mapId, 1, ops.length))
      expect(applyOp(replayed, record.op).ok).toBe(true);
    const stored = createMapState(snapshot?.map.name ?? '', snapshot?.features, snapshot?.layers);
    expect(canonicalState(stored)).toBe(canonicalState(replayed));
    expect(stateHash(stored)).toBe(stateHash(replayed));
    expect(await listLayers(db, mapId)).toEqual(snapshot?.layers);
  });

  it('refuses impossible layer ops with typed codes, without consuming a seq', async () => {
    const mapId = await newMap('Layer rejects');
    expectCommitted(await commit(mapId, addLayer('live')));
    expectCommitted(await commit(mapId, addLayer('old')));
    expectCommitted(await commit(mapId, { kind: 'layer.remove', id: 'old' }));
    const before = await loadSnapshot(db, mapId);
    const entries = (layerId: string): Op => ({ kind: 'layer.entries', layerId, features: [entry('e', 1)] });
    const cases: [Op, ErrorCode][] = [
      [addLayer('live'), ErrorCode.LAYER_EXISTS],
      [addLayer('old'), ErrorCode.LAYER_EXISTS],
      [{ kind: 'layer.remove', id: 'nope' }, ErrorCode.LAYER_NOT_FOUND],
      [{ kind: 'layer.remove', id: 'old' }, ErrorCode.LAYER_NOT_FOUND],
      [entries('nope'), ErrorCode.LAYER_NOT_FOUND],
      [entries('old'), ErrorCode.LAYER_NOT_FOUND],
    ];
    for (const [op, code] of cases)
      expect(await commit(mapId, op)).toMatchObject({ status: 'rejected', code });
    expect(await loadSnapshot(db, mapId)).toEqual(before);
    expect((await getMap(db, mapId))?.seq).toBe(3);

    // The cap counts live layers only: the removed one does not use a place.
    for (let i = 1; i < LIMITS.MAX_LAYERS_PER_MAP; i++)
      expectCommitted(await commit(mapId, addLayer(`l${i}`)));
    expect(await commit(mapId, addLayer('one-more'))).toMatchObject({
      status: 'rejected',
      code: ErrorCode.TOO_MANY_LAYERS,
    });
    expect(await listLayers(db, mapId)).toHaveLength(LIMITS.MAX_LAYERS_PER_MAP);
  });

  it('removes a layer with every live feature in it, tombstoning them with a bumped version', async () => {
    const mapId = await newMap('Layer removal');
    expectCommitted(await commit(mapId, addLayer('quakes')));
    expectCommitted(await commit(mapId, addLayer('rain')));
    expectCommitted(
      await commit(mapId, {
        kind: 'layer.entries',
        layerId: 'quakes',
        features: [entry('q-1', 1), entry('q-2', 2)],
      }),
    );
    expectCommitted(
      await commit(mapId, { kind: 'layer.entries', layerId: 'rain', features: [entry('r-1', 3)] }),
    );
    expectCommitted(await commit(mapId, { kind: 'feature.delete', id: 'q-2' }));
    expectCommitted(await commit(mapId, point('mine')));
    const removal = expectCommitted(await commit(mapId, { kind: 'layer.remove', id: 'quakes' }));

    const snapshot = await loadSnapshot(db, mapId);
    expect(snapshot?.features.map((f) => f.id).sort()).toEqual(['mine', 'r-1']);
    expect(snapshot?.layers.map((l) => l.id)).toEqual(['rain']);
    const rows = await db.prisma.feature.findMany({
      where: { mapId, id: { in: ['q-1', 'q-2'] } },
      orderBy: { id: 'asc' },
      select: { id: true, deleted: true, version: true, updatedSeq: true },
    });
    // q-2 was deleted before, so the removal leaves it as it was.
    expect(rows).toEqual([
      { id: 'q-1', deleted: true, version: 2, updatedSeq: removal.seq },
      { id: 'q-2', deleted: true, version: 2, updatedSeq: 5 },
    ]);
  });

  it('keeps feed bookkeeping per live layer', async () => {
    const mapId = await newMap('Bookkeeping');
    expectCommitted(await commit(mapId, addLayer('quakes')));
    expect(await getFeedBookkeeping(db, mapId, 'quakes')).toEqual({
      etag: null,
      lastModified: null,
      hub: null,
      topic: null,
    });
    expect(
      await updateFeedBookkeeping(db, mapId, 'quakes', { etag: '"v1"', hub: 'https://hub.example/' }),
    ).toBe(true);
    expect(
      await updateFeedBookkeeping(db, mapId, 'quakes', { lastModified: 'Thu, 26 Nov 2026 10:00:00 GMT' }),
    ).toBe(true);
    expect(await getFeedBookkeeping(db, mapId, 'quakes')).toEqual({
      etag: '"v1"',
      lastModified: 'Thu, 26 Nov 2026 10:00:00 GMT',
      hub: 'https://hub.example/',
      topic: null,
    });
    expect(await updateFeedBookkeeping(db, mapId, 'nope', { etag: 'x' })).toBe(false);
    expectCommitted(await commit(mapId, { kind: 'layer.remove', id: 'quakes' }));
    expect(await updateFeedBookkeeping(db, mapId, 'quakes', { etag: 'x' })).toBe(false);
    expect(await getFeedBookkeeping(db, mapId, 'quakes')).toBeNull();
  });

  // Last on purpose: it closes the suite's database.
  it('throws STORAGE_UNAVAILABLE once the database is closed', async () => {
    const mapId = await newMap('Closing');
    await db.close();
    const error = await commit(mapId, point('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeridianError);
    expect((error as MeridianError).code).toBe(ErrorCode.STORAGE_UNAVAILABLE);
    await expect(db.ping()).rejects.toMatchObject({ code: ErrorCode.STORAGE_UNAVAILABLE });
  });
});
