import { applyOp, createMapState, ErrorCode, type Feature, type Op, stateHash } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import type { Database } from './client.ts';
import { listLayers } from './layers.ts';
import { createMap, loadSnapshot } from './maps.ts';
import { type CommitResult, commitOp, readOps } from './op-log.ts';
import { BACKENDS } from './testing/backends.ts';
import { useTestDatabase } from './testing/test-database.ts';

function point(id: string, properties: Feature['properties'] = {}): Feature {
  return {
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [4.83, 45.76] },
    properties,
    version: 0,
  };
}

const style = { 'marker-color': '#e4572e', 'fill-opacity': 0.25 };

describe.each(BACKENDS)('user layers on $kind', ({ create }) => {
  let db: Database;
  let counter = 0;
  useTestDatabase(create, (opened) => {
    db = opened;
  });

  function commit(mapId: string, op: Op): Promise<CommitResult> {
    counter += 1;
    return commitOp(db, { mapId, clientId: 'client-a', opId: `op-${counter}`, op });
  }

  async function committed(mapId: string, op: Op) {
    const result = await commit(mapId, op);
    if (result.status !== 'committed') throw new Error(`expected committed, got ${JSON.stringify(result)}`);
    return result.record;
  }

  it('creates, renames, restyles, reorders, fills and deletes a user layer; the log replays to the snapshot', async () => {
    const mapId = (await createMap(db, { name: 'Lyon' })).map.id;
    const ops: Op[] = [
      { kind: 'layer.add', layer: { id: 'stops', kind: 'user', name: 'Stops', order: 1, style: {} } },
      { kind: 'layer.add', layer: { id: 'food', kind: 'user', name: 'Food', order: 2, style: {} } },
      { kind: 'feature.create', feature: point('a', { title: 'A', layer: 'stops' }) },
      { kind: 'feature.create', feature: point('b') },
      { kind: 'features.import', features: [point('c', { layer: 'food' }), point('d', { layer: 'food' })] },
      { kind: 'feature.update', id: 'b', properties: { layer: 'stops' } },
      { kind: 'feature.update', id: 'c', properties: { layer: null } },
      { kind: 'layer.update', id: 'stops', name: 'Halts', style, order: 3.5 },
      { kind: 'layer.remove', id: 'food' },
    ];
    for (const op of ops) await committed(mapId, op);

    const snapshot = await loadSnapshot(db, mapId);
    expect(snapshot?.layers).toEqual([{ id: 'stops', kind: 'user', name: 'Halts', order: 3.5, style }]);
    expect(await listLayers(db, mapId)).toEqual(snapshot?.layers);
    const byId = new Map(snapshot?.features.map((f) => [f.id, f]));
    expect([...byId.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(byId.get('b')?.properties.layer).toBe('stops');
    expect(byId.get('c')?.properties.layer).toBeUndefined();

    const replayed = createMapState('Lyon');
    for (const record of await readOps(db, mapId, 1, ops.length))
      expect(applyOp(replayed, record.op).ok).toBe(true);
    expect(stateHash(replayed)).toBe(
      stateHash(createMapState('Lyon', snapshot?.features ?? [], snapshot?.layers ?? [])),
    );
  });

  it('refuses moves into or out of a feed layer and into missing layers, consuming no seq', async () => {
    const mapId = (await createMap(db, { name: 'Feeds' })).map.id;
    await committed(mapId, {
      kind: 'layer.add',
      layer: { id: 'quakes', kind: 'feed', url: 'https://feeds.example/q.atom', name: 'Quakes' },
    });
    await committed(mapId, {
      kind: 'layer.add',
      layer: { id: 'mine', kind: 'user', name: 'Mine', order: 0, style: {} },
    });
    await committed(mapId, { kind: 'layer.entries', layerId: 'quakes', features: [point('q-1')] });
    const last = await committed(mapId, { kind: 'feature.create', feature: point('f') });
    const refusals: [Op, string][] = [
      [{ kind: 'feature.update', id: 'f', properties: { layer: 'quakes' } }, ErrorCode.FORBIDDEN],
      [{ kind: 'feature.update', id: 'q-1', properties: { layer: 'mine' } }, ErrorCode.FORBIDDEN],
      [{ kind: 'feature.update', id: 'q-1', properties: { layer: null } }, ErrorCode.FORBIDDEN],
      [{ kind: 'feature.create', feature: point('g', { layer: 'quakes' }) }, ErrorCode.FORBIDDEN],
      [{ kind: 'features.import', features: [point('h', { layer: 'quakes' })] }, ErrorCode.FORBIDDEN],
      [{ kind: 'feature.update', id: 'f', properties: { layer: 'nope' } }, ErrorCode.LAYER_NOT_FOUND],
      [{ kind: 'layer.update', id: 'quakes', name: 'Renamed' }, ErrorCode.INVALID_OP],
      [{ kind: 'layer.update', id: 'nope', order: 1 }, ErrorCode.LAYER_NOT_FOUND],
      [{ kind: 'layer.entries', layerId: 'mine', features: [point('i')] }, ErrorCode.INVALID_OP],
    ];
    for (const [op, code] of refusals)
      expect(await commit(mapId, op), JSON.stringify(op)).toMatchObject({ status: 'rejected', code });
    const after = await committed(mapId, { kind: 'feature.update', id: 'f', properties: { layer: 'mine' } });
    expect(after.seq).toBe(last.seq + 1);
  });

  it('a removed user layer keeps its id: a re-add is LAYER_EXISTS, and its features stay tombstoned', async () => {
    const mapId = (await createMap(db, { name: 'Tombs' })).map.id;
    const layer = { id: 'l1', kind: 'user' as const, name: 'L', order: 0, style: {} };
    await committed(mapId, { kind: 'layer.add', layer });
    await committed(mapId, { kind: 'feature.create', feature: point('x', { layer: 'l1' }) });
    await committed(mapId, { kind: 'layer.remove', id: 'l1' });
    expect(await commit(mapId, { kind: 'layer.add', layer })).toMatchObject({ code: ErrorCode.LAYER_EXISTS });
    expect(await commit(mapId, { kind: 'feature.create', feature: point('x') })).toMatchObject({
      code: ErrorCode.FEATURE_EXISTS,
    });
    expect((await loadSnapshot(db, mapId))?.features).toEqual([]);
  });
});
