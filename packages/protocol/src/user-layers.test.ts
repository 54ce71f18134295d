import { describe, expect, it } from 'vitest';
import { MapReplica } from './client/replica.ts';
import { ErrorCode } from './codes.ts';
import type { Feature } from './geo.ts';
import { opReadsLayers, userLayersInOrder } from './layer-rules.ts';
import { LIMITS } from './limits.ts';
import { Layer, Op, type UserLayer } from './messages/common.ts';
import { applyOp, createMapState, stateHash } from './state.ts';

const feed = { id: 'quakes', kind: 'feed' as const, url: 'https://example.org/q.atom', name: 'Quakes' };
const stops: UserLayer = { id: 'stops', kind: 'user', name: 'Stops', order: 1, style: {} };

function point(id: string, properties: Feature['properties'] = {}): Feature {
  return { type: 'Feature', id, geometry: { type: 'Point', coordinates: [1, 2] }, properties, version: 0 };
}

describe('user layer schema', () => {
  it('reads a v2 feed layer (no kind) as a feed layer and a user layer by its kind', () => {
    expect(Layer.parse({ id: 'q', url: 'https://example.org/f', name: 'F' })).toEqual({
      id: 'q',
      kind: 'feed',
      url: 'https://example.org/f',
      name: 'F',
    });
    expect(Layer.parse(stops)).toEqual(stops);
  });

  it('bounds a user layer: no url, a known simplestyle style only, a finite bounded order', () => {
    const bad: unknown[] = [
      { ...stops, url: 'https://example.org/f' },
      { ...stops, style: { 'marker-color': 'red' } },
      { ...stops, style: { 'stroke-width': LIMITS.MAX_STROKE_WIDTH + 1 } },
      { ...stops, style: { title: 'not a style key' } },
      { ...stops, order: LIMITS.MAX_LAYER_ORDER * 2 },
      { ...stops, order: Number.NaN },
      { ...stops, name: '' },
      { ...stops, name: 'x'.repeat(LIMITS.MAX_NAME_CHARS + 1) },
      { ...stops, kind: 'other' },
    ];
    for (const value of bad) expect(Layer.safeParse(value).success, JSON.stringify(value)).toBe(false);
    expect(
      Layer.safeParse({ ...stops, style: { 'marker-color': '#e4572e', 'fill-opacity': 0.3 } }).success,
    ).toBe(true);
  });

  it('requires a layer.update to change something', () => {
    expect(Op.safeParse({ kind: 'layer.update', id: 'stops' }).success).toBe(false);
    expect(Op.safeParse({ kind: 'layer.update', id: 'stops', order: 2.5 }).success).toBe(true);
    expect(Op.safeParse({ kind: 'layer.update', id: 'stops', style: { fill: 'blue' } }).success).toBe(false);
  });

  it('lets a property patch carry layer (a move between layers)', () => {
    expect(Op.safeParse({ kind: 'feature.update', id: 'f', properties: { layer: 'stops' } }).success).toBe(
      true,
    );
    expect(Op.safeParse({ kind: 'feature.update', id: 'f', properties: { layer: null } }).success).toBe(true);
    expect(
      Op.safeParse({ kind: 'feature.update', id: 'f', properties: { layer: 'no spaces' } }).success,
    ).toBe(false);
  });
});

describe('user layer ops', () => {
  it('adds, renames, restyles and reorders a user layer', () => {
    const state = createMapState('m');
    expect(applyOp(state, { kind: 'layer.add', layer: stops }).ok).toBe(true);
    const before = stateHash(state);
    const style = { 'marker-color': '#e4572e' };
    expect(applyOp(state, { kind: 'layer.update', id: 'stops', name: 'Halts', style, order: -3 }).ok).toBe(
      true,
    );
    expect(state.layers.get('stops')).toEqual({ ...stops, name: 'Halts', style, order: -3 });
    expect(stateHash(state)).not.toBe(before);
    // Absent fields are kept.
    applyOp(state, { kind: 'layer.update', id: 'stops', order: 7 });
    expect(state.layers.get('stops')).toEqual({ ...stops, name: 'Halts', style, order: 7 });
  });

  it('refuses to update a missing layer or a feed layer', () => {
    const state = createMapState('m', [], [feed]);
    const missing = applyOp(state, { kind: 'layer.update', id: 'nope', name: 'x' });
    expect(!missing.ok && missing.code).toBe(ErrorCode.LAYER_NOT_FOUND);
    const onFeed = applyOp(state, { kind: 'layer.update', id: 'quakes', name: 'x' });
    expect(!onFeed.ok && onFeed.code).toBe(ErrorCode.INVALID_OP);
  });

  it('puts features in a user layer on create, import and update, and takes them out', () => {
    const state = createMapState('m', [point('a')], [stops]);
    expect(applyOp(state, { kind: 'feature.create', feature: point('b', { layer: 'stops' }) }).ok).toBe(true);
    expect(applyOp(state, { kind: 'features.import', features: [point('c', { layer: 'stops' })] }).ok).toBe(
      true,
    );
    expect(applyOp(state, { kind: 'feature.update', id: 'a', properties: { layer: 'stops' } }).ok).toBe(true);
    expect(state.features.get('a')?.properties.layer).toBe('stops');
    expect(applyOp(state, { kind: 'feature.update', id: 'a', properties: { layer: null } }).ok).toBe(true);
    expect(state.features.get('a')?.properties.layer).toBeUndefined();
  });

  it('removing a user layer removes its features and only those', () => {
    const state = createMapState('m', [point('a', { layer: 'stops' }), point('b')], [stops]);
    const removed = applyOp(state, { kind: 'layer.remove', id: 'stops' });
    expect(removed.ok && removed.removedMany).toEqual(['a']);
    expect([...state.features.keys()]).toEqual(['b']);
  });

  it('keeps feed entries server-managed: no move into or out of a feed layer (FORBIDDEN)', () => {
    const entry = point('q-1', { layer: 'quakes' });
    const state = createMapState('m', [point('a'), entry], [feed, stops]);
    const before = stateHash(state);
    const cases: [Op, string][] = [
      [{ kind: 'feature.update', id: 'a', properties: { layer: 'quakes' } }, ErrorCode.FORBIDDEN],
      [{ kind: 'feature.update', id: 'q-1', properties: { layer: 'stops' } }, ErrorCode.FORBIDDEN],
      [{ kind: 'feature.update', id: 'q-1', properties: { layer: null } }, ErrorCode.FORBIDDEN],
      [{ kind: 'feature.create', feature: point('x', { layer: 'quakes' }) }, ErrorCode.FORBIDDEN],
      [
        { kind: 'features.import', features: [point('y'), point('z', { layer: 'quakes' })] },
        ErrorCode.FORBIDDEN,
      ],
      [{ kind: 'feature.update', id: 'a', properties: { layer: 'gone' } }, ErrorCode.LAYER_NOT_FOUND],
      [{ kind: 'feature.create', feature: point('x', { layer: 'gone' }) }, ErrorCode.LAYER_NOT_FOUND],
      [{ kind: 'layer.entries', layerId: 'stops', features: [point('w')] }, ErrorCode.INVALID_OP],
    ];
    for (const [op, code] of cases) {
      const result = applyOp(state, op);
      expect(!result.ok && result.code, JSON.stringify(op)).toBe(code);
    }
    expect(stateHash(state)).toBe(before);
    // Editing a feed entry's other properties is not a move (and stays as it was).
    expect(applyOp(state, { kind: 'feature.update', id: 'q-1', properties: { layer: 'quakes' } }).ok).toBe(
      true,
    );
  });

  it(`caps user layers at ${LIMITS.MAX_USER_LAYERS_PER_MAP}, apart from the feed layers' cap`, () => {
    const state = createMapState('m', [], [feed]);
    for (let i = 0; i < LIMITS.MAX_USER_LAYERS_PER_MAP; i++)
      expect(applyOp(state, { kind: 'layer.add', layer: { ...stops, id: `u${i}` } }).ok).toBe(true);
    const more = applyOp(state, { kind: 'layer.add', layer: { ...stops, id: 'one-more' } });
    expect(!more.ok && more.code).toBe(ErrorCode.TOO_MANY_LAYERS);
    expect(applyOp(state, { kind: 'layer.add', layer: { ...feed, id: 'feed-2' } }).ok).toBe(true);
  });

  it('says which ops read the layers (the database loads them only then)', () => {
    expect(opReadsLayers({ kind: 'feature.update', id: 'a', properties: { title: 'x' } })).toBe(false);
    expect(opReadsLayers({ kind: 'feature.update', id: 'a', properties: { layer: null } })).toBe(true);
    expect(opReadsLayers({ kind: 'feature.create', feature: point('a', { layer: 's' }) })).toBe(true);
    expect(opReadsLayers({ kind: 'feature.create', feature: point('a') })).toBe(false);
  });

  it('orders user layers bottom first, ties by id', () => {
    const layers = [
      { ...stops, id: 'b', order: 2 },
      { ...stops, id: 'a', order: 2 },
      feed,
      { ...stops, id: 'c', order: -1 },
    ];
    expect(userLayersInOrder(layers).map((l) => l.id)).toEqual(['c', 'a', 'b']);
  });

  it('a pending layer.remove reports the pending features of the layer as changed', () => {
    const replica = new MapReplica('c1');
    replica.applySnapshot(0, 'm', [], [stops]);
    replica.addPending('o1', { kind: 'feature.create', feature: point('a', { layer: 'stops' }) });
    const changed = replica.addPending('o2', { kind: 'layer.remove', id: 'stops' });
    expect(changed === 'all' ? 'all' : [...changed]).toEqual(['a']);
    expect(replica.view.features.size).toBe(0);
  });
});
