import type { Feature, Layer, UserLayer } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { loadHiddenLayers, saveHiddenLayers, toggled } from './hidden-layers.ts';
import {
  isFeedEntry,
  LayerPresenter,
  layerStyleSamples,
  layersTopFirst,
  orderForMove,
  orderOnTop,
  patchLayerStyle,
  presentAll,
  presentFeature,
} from './user-layers.ts';

const user = (id: string, order: number, style: UserLayer['style'] = {}): UserLayer => ({
  id,
  kind: 'user',
  name: id,
  order,
  style,
});
const feed: Layer = { id: 'quakes', kind: 'feed', url: 'https://example.org/q', name: 'Q' };

function point(id: string, properties: Feature['properties'] = {}): Feature {
  return { type: 'Feature', id, geometry: { type: 'Point', coordinates: [1, 2] }, properties, version: 1 };
}

const byId = (layers: Layer[]) => new Map(layers.map((l) => [l.id, l]));

describe('presenting features through user layers', () => {
  const layers = byId([user('red', 1, { 'marker-color': '#f00', stroke: '#f00' }), feed]);

  it('fills keys the feature does not set from the layer default; its own values win', () => {
    const shown = presentFeature(point('a', { layer: 'red', stroke: '#00f', title: 'A' }), layers, new Set());
    expect(shown?.properties).toEqual({ 'marker-color': '#f00', stroke: '#00f', title: 'A' });
    // A key set to null is absent (stored GeoJSON may hold one): the default shows through.
    const cleared = { layer: 'red', 'marker-color': null } as unknown as Feature['properties'];
    expect(presentFeature(point('b', cleared), layers, new Set())?.properties).toEqual({
      'marker-color': '#f00',
      stroke: '#f00',
    });
  });

  it('leaves features without a layer and feed entries as they are (same object)', () => {
    const plain = point('a');
    const entry = point('q', { layer: 'quakes' });
    expect(presentFeature(plain, layers, new Set())).toBe(plain);
    expect(presentFeature(entry, layers, new Set())).toBe(entry);
  });

  it('drops the features of a hidden layer', () => {
    expect(presentFeature(point('a', { layer: 'red' }), layers, new Set(['red']))).toBeNull();
    expect(presentFeature(point('a'), layers, new Set(['red']))).not.toBeNull();
  });

  it('orders features by layer: none first, then user layers bottom to top', () => {
    const all = byId([user('top', 5), user('bottom', -1)]);
    const features = new Map(
      [point('t', { layer: 'top' }), point('n'), point('b', { layer: 'bottom' })].map((f) => [f.id, f]),
    );
    expect([...presentAll(features, all, new Set()).keys()]).toEqual(['n', 'b', 't']);
  });

  it('the presenter updates changed ids, and rebuilds everything when a style or the hidden set changes', () => {
    const presenter = new LayerPresenter();
    const features = new Map([point('a', { layer: 'red' }), point('b')].map((f) => [f.id, f]));
    expect(presenter.update(features, layers, new Set(), 'all')).toBe('all');
    features.set('c', point('c'));
    expect(presenter.update(features, layers, new Set(), new Set(['c']))).toEqual(new Set(['c']));
    expect([...presenter.features.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(presenter.update(features, layers, new Set(['red']), new Set())).toBe('all');
    expect([...presenter.features.keys()].sort()).toEqual(['b', 'c']);
    const restyled = byId([user('red', 1, { 'marker-color': '#0f0' }), feed]);
    expect(presenter.update(features, restyled, new Set(), new Set())).toBe('all');
    expect(presenter.features.get('a')?.properties['marker-color']).toBe('#0f0');
  });
});

describe('layer order', () => {
  const layers = byId([user('a', 0), user('b', 1), user('c', 2)]);

  it('lists top first and puts a new layer on top', () => {
    expect(layersTopFirst(layers).map((l) => l.id)).toEqual(['c', 'b', 'a']);
    expect(orderOnTop(layers)).toBe(3);
    expect(orderOnTop(new Map())).toBe(0);
  });

  it('moves a layer one place with one order between its new neighbours', () => {
    expect(orderForMove(layers, 'a', 'up')).toBe(1.5);
    expect(orderForMove(layers, 'b', 'up')).toBe(3);
    expect(orderForMove(layers, 'b', 'down')).toBe(-1);
    expect(orderForMove(layers, 'c', 'down')).toBe(0.5);
    expect(orderForMove(layers, 'c', 'up')).toBeNull();
    expect(orderForMove(layers, 'a', 'down')).toBeNull();
    const moved = byId([user('a', 1.5), user('b', 1), user('c', 2)]);
    expect(layersTopFirst(moved).map((l) => l.id)).toEqual(['c', 'a', 'b']);
  });
});

describe('feed entries and hidden layers', () => {
  it('tells feed entries from user-layer features', () => {
    const layers = byId([user('mine', 0), feed]);
    expect(isFeedEntry(point('a', { layer: 'quakes' }), layers)).toBe(true);
    expect(isFeedEntry(point('a', { layer: 'mine' }), layers)).toBe(false);
    expect(isFeedEntry(point('a'), layers)).toBe(false);
  });

  it('keeps hidden layers per map in storage, and survives broken storage', () => {
    const data = new Map<string, string>();
    const storage = {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
      removeItem: (k: string) => void data.delete(k),
    };
    saveHiddenLayers(storage, 'm1', toggled(new Set(), 'a'));
    expect(loadHiddenLayers(storage, 'm1')).toEqual(new Set(['a']));
    expect(loadHiddenLayers(storage, 'm2')).toEqual(new Set());
    saveHiddenLayers(storage, 'm1', toggled(new Set(['a']), 'a'));
    expect(data.size).toBe(0);
    data.set('meridian:hidden-layers:m3', '{not json');
    expect(loadHiddenLayers(storage, 'm3')).toEqual(new Set());
    const full = {
      ...storage,
      setItem: () => {
        throw new Error('quota');
      },
    };
    expect(() => saveHiddenLayers(full, 'm1', new Set(['x']))).not.toThrow();
  });
});

describe('a layer styled with the style panel', () => {
  const layer: UserLayer = {
    id: 'l1',
    kind: 'user',
    name: 'Parks',
    order: 0,
    style: { 'marker-color': '#ff00aa', stroke: '#ff00aa' },
  };

  it('sets and removes style keys and ignores any other key of the patch', () => {
    expect(patchLayerStyle(layer.style, { 'stroke-dash': 'dash', stroke: null, title: 'x' })).toEqual({
      'marker-color': '#ff00aa',
      'stroke-dash': 'dash',
    });
    // The layer's own object is left as it was (the next op is computed from the state, not from it).
    expect(layer.style).toEqual({ 'marker-color': '#ff00aa', stroke: '#ff00aa' });
  });

  it('offers the panel a marker, a line and an area carrying the layer style', () => {
    const samples = layerStyleSamples(layer);
    expect(samples.map((sample) => sample.geometry.type)).toEqual(['Point', 'LineString', 'Polygon']);
    for (const sample of samples) expect(sample.properties).toEqual(layer.style);
  });
});
