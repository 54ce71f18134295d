import { describe, expect, it } from 'vitest';
import { MapReplica } from './client/replica.ts';
import { ErrorCode } from './codes.ts';
import type { Feature } from './geo.ts';
import { LIMITS } from './limits.ts';
import type { Op, OpRecord } from './messages/common.ts';
import { parseClientMessage, parseServerMessage } from './parse.ts';
import { applyOp, createMapState, stateHash, touchedFeatureIds } from './state.ts';

const layer = {
  id: 'quakes',
  kind: 'feed' as const,
  url: 'https://example.org/quakes.atom',
  name: 'Earthquakes',
};

function entry(id: string, lng: number, title = id): Feature {
  return {
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [lng, 10] },
    properties: { title },
    version: 0,
  };
}

describe('live-feed layer ops', () => {
  it('adds a layer, upserts its entries (tagging them with the layer) and removes both', () => {
    const state = createMapState('m');
    expect(applyOp(state, { kind: 'layer.add', layer }).ok).toBe(true);
    const first = applyOp(state, {
      kind: 'layer.entries',
      layerId: 'quakes',
      features: [entry('q-1', 1), entry('q-2', 2)],
    });
    expect(first.ok && first.upserted?.map((f) => f.id)).toEqual(['q-1', 'q-2']);
    expect(state.features.get('q-1')?.properties.layer).toBe('quakes');
    expect(state.features.get('q-1')?.version).toBe(1);

    // A redelivered entry replaces the feature instead of duplicating it.
    applyOp(state, { kind: 'layer.entries', layerId: 'quakes', features: [entry('q-1', 5, 'moved')] });
    expect(state.features.size).toBe(2);
    expect(state.features.get('q-1')).toMatchObject({
      version: 2,
      properties: { title: 'moved', layer: 'quakes' },
    });

    applyOp(state, {
      kind: 'feature.create',
      feature: { ...entry('mine', 3), properties: { title: 'not in the layer' } },
    });
    expect(touchedFeatureIds(state, { kind: 'layer.remove', id: 'quakes' }).sort()).toEqual(['q-1', 'q-2']);
    const removed = applyOp(state, { kind: 'layer.remove', id: 'quakes' });
    expect(removed.ok && removed.removedMany?.sort()).toEqual(['q-1', 'q-2']);
    expect([...state.features.keys()]).toEqual(['mine']);
    expect(state.layers.size).toBe(0);
  });

  it('refuses impossible layer ops with typed codes and leaves the state unchanged', () => {
    const state = createMapState('m', [], [layer]);
    const before = stateHash(state);
    const cases: [Op, string][] = [
      [{ kind: 'layer.add', layer }, ErrorCode.LAYER_EXISTS],
      [{ kind: 'layer.remove', id: 'nope' }, ErrorCode.LAYER_NOT_FOUND],
      [{ kind: 'layer.entries', layerId: 'nope', features: [entry('x', 1)] }, ErrorCode.LAYER_NOT_FOUND],
    ];
    for (const [op, code] of cases) {
      const result = applyOp(state, op);
      expect(!result.ok && result.code).toBe(code);
    }
    expect(stateHash(state)).toBe(before);
  });

  it(`caps a map at ${LIMITS.MAX_LAYERS_PER_MAP} layers`, () => {
    const state = createMapState('m');
    for (let i = 0; i < LIMITS.MAX_LAYERS_PER_MAP; i++) {
      expect(applyOp(state, { kind: 'layer.add', layer: { ...layer, id: `l${i}` } }).ok).toBe(true);
    }
    const result = applyOp(state, { kind: 'layer.add', layer: { ...layer, id: 'one-more' } });
    expect(!result.ok && result.code).toBe(ErrorCode.TOO_MANY_LAYERS);
  });

  it('puts layers in the state hash only when a map has some', () => {
    const plain = createMapState('m');
    const withLayer = createMapState('m', [], [layer]);
    expect(stateHash(plain)).not.toBe(stateHash(withLayer));
    // The text of a map without layers is what it was before layers existed.
    expect(stateHash(createMapState('m'))).toBe(stateHash(plain));
  });

  it('validates layer URLs and entry counts on the wire', () => {
    const op = (o: unknown) =>
      parseClientMessage(JSON.stringify({ type: 'op', mapId: 'm', opId: 'o', op: o }));
    expect(op({ kind: 'layer.add', layer }).ok).toBe(true);
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'not a url',
      `https://x.org/${'a'.repeat(2100)}`,
    ]) {
      const result = op({ kind: 'layer.add', layer: { ...layer, url } });
      expect(result.ok, url).toBe(false);
    }
    // Credentials in the URL would reach every viewer and be sent as Basic auth: refused, typed.
    for (const url of [
      'http://user:secret@feeds.example.org/feed.atom',
      'https://user@feeds.example.org/feed.atom',
      'https://:secret@feeds.example.org/feed.atom',
    ]) {
      const result = op({ kind: 'layer.add', layer: { ...layer, url } });
      expect(result.ok, url).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe(ErrorCode.INVALID_MESSAGE);
        expect(result.error.message).toMatch(/credentials/);
      }
    }
    const tooMany = Array.from({ length: LIMITS.MAX_LAYER_ENTRIES_PER_OP + 1 }, (_, i) => entry(`e${i}`, 1));
    expect(op({ kind: 'layer.entries', layerId: 'quakes', features: tooMany }).ok).toBe(false);
    expect(op({ kind: 'layer.entries', layerId: 'quakes', features: [] }).ok).toBe(false);
  });

  it('parses a layerStatus message and a snapshot without layers (older servers)', () => {
    const status = parseServerMessage(
      JSON.stringify({
        type: 'layerStatus',
        mapId: 'm',
        layerId: 'quakes',
        state: 'live',
        mode: 'websub',
        detail: 'live (WebSub via hub.example)',
        badSignatures: 2,
        at: 1,
      }),
    );
    expect(status.ok && status.value.type === 'layerStatus' && status.value.entries).toBe(0);
    const snapshot = parseServerMessage(
      JSON.stringify({
        type: 'snapshot',
        mapId: 'm',
        seq: 0,
        role: 'edit',
        map: { id: 'm', name: 'M' },
        features: [],
        presence: [],
      }),
    );
    expect(snapshot.ok && snapshot.value.type === 'snapshot' && snapshot.value.layers).toEqual([]);
  });
});

describe('MapReplica with layers', () => {
  const record = (seq: number, op: Op): OpRecord => ({ seq, opId: `o${seq}`, clientId: 'server', op, at: 0 });

  it('reports the features a layer.remove takes away as changed', () => {
    const replica = new MapReplica('me');
    replica.applySnapshot(0, 'm', [], []);
    replica.receive(record(1, { kind: 'layer.add', layer }));
    const entries = replica.receive(
      record(2, { kind: 'layer.entries', layerId: 'quakes', features: [entry('q-1', 1)] }),
    );
    expect(entries.kind === 'applied' && [...entries.changed]).toEqual(['q-1']);
    const removed = replica.receive(record(3, { kind: 'layer.remove', id: 'quakes' }));
    expect(removed.kind === 'applied' && [...removed.changed]).toEqual(['q-1']);
    expect(replica.view.features.size).toBe(0);
  });

  it('shows a pending layer.add in the optimistic view and keeps snapshot layers', () => {
    const replica = new MapReplica('me');
    replica.applySnapshot(4, 'm', [], [layer]);
    expect(replica.view.layers.has('quakes')).toBe(true);
    replica.addPending('o-1', { kind: 'layer.add', layer: { ...layer, id: 'rain' } });
    expect([...replica.view.layers.keys()]).toEqual(['quakes', 'rain']);
    expect(replica.confirmed.layers.has('rain')).toBe(false);
  });
});
