import {
  applyOp,
  createMapState,
  ErrorCode,
  type Feature,
  type Geometry,
  stateHash,
} from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import type { Database } from './client.ts';
import { createMap, loadSnapshot } from './maps.ts';
import { commitOp, readOps } from './op-log.ts';
import { BACKENDS } from './testing/backends.ts';
import { useTestDatabase } from './testing/test-database.ts';

const ring = [
  [0, 0, 10],
  [1, 0, 10],
  [1, 1, 12],
  [0, 0, 10],
] as [number, number, number][];
const geometries: Geometry[] = [
  { type: 'Point', coordinates: [2.35, 48.85, 35.5] },
  {
    type: 'MultiPoint',
    coordinates: [
      [0, 0],
      [1, 1],
    ],
  },
  {
    type: 'LineString',
    coordinates: [
      [0, 0],
      [1, 1, 5],
    ],
  },
  {
    type: 'MultiLineString',
    coordinates: [
      [
        [0, 0],
        [1, 1],
      ],
      [
        [2, 2],
        [3, 3],
      ],
    ],
  },
  { type: 'Polygon', coordinates: [ring] },
  { type: 'MultiPolygon', coordinates: [[ring], [ring]] },
  {
    type: 'GeometryCollection',
    geometries: [
      { type: 'Point', coordinates: [1, 2] },
      { type: 'Polygon', coordinates: [ring] },
    ],
  },
];

function features(prefix: string, n: number): Feature[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'Feature',
    id: `${prefix}${i}`,
    geometry: geometries[i % geometries.length] as Geometry,
    properties: {
      title: `${prefix} ${i}`,
      'marker-color': '#abc',
      'stroke-width': 2.5,
      rank: i,
      ok: i % 2 === 0,
      nothing: null,
      nested: { list: [1, 'two', { three: [3] }], unicode: 'Zürich ✓' },
    },
    version: 0,
  }));
}

describe.each(BACKENDS)('bulk ops on $kind', ({ create }) => {
  let db: Database;
  useTestDatabase(create, (opened) => {
    db = opened;
  });

  it('imports every geometry type and property kind in one commit; the snapshot and the replay agree', async () => {
    const { map } = await createMap(db, { name: 'Bulk' });
    const imported = features('f', 700);
    const result = await commitOp(db, {
      mapId: map.id,
      clientId: 'c',
      opId: 'i1',
      op: { kind: 'features.import', features: imported },
    });
    expect(result).toMatchObject({ status: 'committed', record: { seq: 1 } });
    const again = await commitOp(db, {
      mapId: map.id,
      clientId: 'c',
      opId: 'i1',
      op: { kind: 'features.import', features: imported },
    });
    expect(again).toMatchObject({ status: 'duplicate', record: { seq: 1 } });

    const snapshot = await loadSnapshot(db, map.id);
    expect(snapshot?.seq).toBe(1);
    const expected = createMapState('Bulk');
    applyOp(expected, { kind: 'features.import', features: imported });
    expect(stateHash(createMapState('Bulk', snapshot?.features))).toBe(stateHash(expected));
    expect(snapshot?.features.find((f) => f.id === 'f6')).toEqual({ ...imported[6], version: 1 });

    const replayed = createMapState('Bulk');
    for (const record of await readOps(db, map.id, 1, 1)) applyOp(replayed, record.op);
    expect(stateHash(replayed)).toBe(stateHash(expected));
  });

  it('refuses a whole import when one id exists (a deleted one too) and stores nothing', async () => {
    const { map } = await createMap(db, { name: 'Refused' });
    await commitOp(db, {
      mapId: map.id,
      clientId: 'c',
      opId: 'a',
      op: { kind: 'features.import', features: features('g', 3) },
    });
    await commitOp(db, {
      mapId: map.id,
      clientId: 'c',
      opId: 'b',
      op: { kind: 'features.delete', ids: ['g1'] },
    });
    for (const [opId, clash] of [
      ['c', 'g0'],
      ['d', 'g1'],
    ] as const) {
      const op = {
        kind: 'features.import' as const,
        features: [...features('h', 5), { ...(features(clash, 1)[0] as Feature), id: clash }],
      };
      const result = await commitOp(db, { mapId: map.id, clientId: 'c', opId, op });
      expect(result).toMatchObject({ status: 'rejected', code: ErrorCode.FEATURE_EXISTS });
    }
    const snapshot = await loadSnapshot(db, map.id);
    expect(snapshot?.seq).toBe(2);
    expect(snapshot?.features.map((f) => f.id).sort()).toEqual(['g0', 'g2']);
  });

  it('deletes many in one commit (the undo of an import), skipping ids already gone', async () => {
    const { map } = await createMap(db, { name: 'Undo' });
    const imported = features('u', 1000);
    await commitOp(db, {
      mapId: map.id,
      clientId: 'c',
      opId: 'i',
      op: { kind: 'features.import', features: imported },
    });
    await commitOp(db, {
      mapId: map.id,
      clientId: 'c',
      opId: 'd1',
      op: { kind: 'feature.delete', id: 'u5' },
    });
    const undo = await commitOp(db, {
      mapId: map.id,
      clientId: 'c',
      opId: 'd2',
      op: { kind: 'features.delete', ids: imported.map((f) => f.id) },
    });
    expect(undo).toMatchObject({ status: 'committed', record: { seq: 3 } });
    expect((await loadSnapshot(db, map.id))?.features).toEqual([]);
    const none = await commitOp(db, {
      mapId: map.id,
      clientId: 'c',
      opId: 'd3',
      op: { kind: 'features.delete', ids: ['u1'] },
    });
    expect(none).toMatchObject({ status: 'rejected', code: ErrorCode.FEATURE_NOT_FOUND });
  });

  it('commits concurrent chunks of one map in seq order, each once', async () => {
    const { map } = await createMap(db, { name: 'Chunks' });
    const chunks = Array.from({ length: 10 }, (_, i) => features(`c${i}-`, 200));
    const results = await Promise.all(
      chunks.map((chunk, i) =>
        commitOp(db, {
          mapId: map.id,
          clientId: 'c',
          opId: `k${i}`,
          op: { kind: 'features.import', features: chunk },
        }),
      ),
    );
    const seqs = results.map((r) => (r.status === 'committed' ? r.record.seq : -1)).sort((a, b) => a - b);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await loadSnapshot(db, map.id))?.features.length).toBe(2000);
  });
});
