import type { Feature } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { diffFeatures, isEmptyDiff } from './source-diff.ts';

const point = (id: string, lng = 0, properties: Feature['properties'] = {}): Feature => ({
  type: 'Feature',
  id,
  geometry: { type: 'Point', coordinates: [lng, 0] },
  properties,
  version: 1,
});
const line = (id: string): Feature => ({
  type: 'Feature',
  id,
  geometry: {
    type: 'LineString',
    coordinates: [
      [0, 0],
      [1, 1],
    ],
  },
  properties: {},
  version: 1,
});

describe('diffFeatures', () => {
  it('adds every feature of a first snapshot to its source', () => {
    const rendered = new Map<string, Feature>();
    const next = new Map([
      ['a', point('a')],
      ['b', line('b')],
    ]);
    const diffs = diffFeatures(rendered, next, 'all');
    expect(diffs.points.add?.map((f) => f.id)).toEqual(['a']);
    expect(diffs.shapes.add?.map((f) => f.id)).toEqual(['b']);
    expect(rendered).toEqual(next);
  });

  it('sends a style change as changed properties, and a reset style key as a removed property', () => {
    const a = point('a', 0, { 'stroke-dash': 'dot', 'marker-symbol': 'cafe' });
    const rendered = new Map([['a', a]]);
    const restyled = { ...a, properties: { 'marker-symbol': 'bar', 'show-label': false }, version: 2 };
    expect(diffFeatures(rendered, new Map([['a', restyled]]), ['a']).points.update).toEqual([
      {
        id: 'a',
        addOrUpdateProperties: [
          { key: 'marker-symbol', value: 'bar' },
          { key: 'show-label', value: false },
        ],
        removeProperties: ['stroke-dash'],
      },
    ]);
  });

  it('sends only the moved geometry for a move', () => {
    const a = point('a');
    const rendered = new Map([['a', a]]);
    const moved = {
      ...a,
      geometry: { type: 'Point' as const, coordinates: [5, 5] as [number, number] },
      version: 2,
    };
    const diffs = diffFeatures(rendered, new Map([['a', moved]]), ['a']);
    expect(diffs.points.update).toEqual([{ id: 'a', newGeometry: moved.geometry }]);
    expect(isEmptyDiff(diffs.shapes)).toBe(true);
  });

  it('sends only changed drawn properties, and nothing for a description edit', () => {
    const a = point('a', 0, { title: 'Old' });
    const rendered = new Map([['a', a]]);
    const retitled = { ...a, properties: { title: 'New' }, version: 2 };
    expect(diffFeatures(rendered, new Map([['a', retitled]]), ['a']).points.update).toEqual([
      { id: 'a', addOrUpdateProperties: [{ key: 'title', value: 'New' }] },
    ]);
    const described = { ...retitled, properties: { title: 'New', description: 'x' }, version: 3 };
    expect(isEmptyDiff(diffFeatures(rendered, new Map([['a', described]]), ['a']).points)).toBe(true);
  });

  it('removes deleted features and ignores ids it never drew', () => {
    const rendered = new Map([['a', point('a')]]);
    const diffs = diffFeatures(rendered, new Map(), ['a', 'ghost']);
    expect(diffs.points.remove).toEqual(['a']);
    expect(rendered.size).toBe(0);
  });

  it('moves a feature between sources when its geometry type changes', () => {
    const rendered = new Map([['a', point('a')]]);
    const diffs = diffFeatures(rendered, new Map([['a', { ...line('a'), version: 2 }]]), ['a']);
    expect(diffs.points.remove).toEqual(['a']);
    expect(diffs.shapes.add?.map((f) => f.id)).toEqual(['a']);
  });

  it('does nothing when the same objects are compared again', () => {
    const state = new Map([
      ['a', point('a')],
      ['b', line('b')],
    ]);
    const rendered = new Map(state);
    const diffs = diffFeatures(rendered, state, 'all');
    expect(isEmptyDiff(diffs.points) && isEmptyDiff(diffs.shapes)).toBe(true);
  });

  it("draws feed entries in their own source, in their layer's colour, whatever the feed says", () => {
    const colors = new Map([['quakes', '#0f766e']]);
    const entry = point('q-1', 0, { title: 'M5', 'marker-color': '#ff0000', layer: 'quakes' });
    const rendered = new Map<string, Feature>();
    const diffs = diffFeatures(rendered, new Map([['q-1', entry]]), 'all', colors);
    expect(isEmptyDiff(diffs.points)).toBe(true);
    expect(diffs.feed.add).toEqual([
      {
        type: 'Feature',
        id: 'q-1',
        geometry: entry.geometry,
        properties: { fid: 'q-1', title: 'M5', color: '#0f766e', layer: 'quakes' },
      },
    ]);
    // A redelivered entry with a new title is an update in the feed source.
    const redelivered = { ...entry, properties: { ...entry.properties, title: 'M5.2' }, version: 2 };
    expect(diffFeatures(rendered, new Map([['q-1', redelivered]]), ['q-1'], colors).feed.update).toEqual([
      { id: 'q-1', addOrUpdateProperties: [{ key: 'title', value: 'M5.2' }] },
    ]);
    // Without a known layer colour (the layer not yet in the snapshot) the entry still draws.
    const unknown = diffFeatures(new Map(), new Map([['q-1', entry]]), 'all');
    expect(unknown.feed.add?.[0]?.properties?.color).toBe('#ff0000');
  });

  it('hands MapLibre a line across ±180° with continuous longitudes, on add and on move', () => {
    const across = (lng: number): Feature => ({
      ...line('pacific'),
      geometry: {
        type: 'LineString',
        coordinates: [
          [170, 0],
          [lng, 5],
        ],
      },
    });
    const rendered = new Map<string, Feature>();
    const added = diffFeatures(rendered, new Map([['pacific', across(-170)]]), 'all');
    expect(added.shapes.add?.[0]?.geometry).toEqual({
      type: 'LineString',
      coordinates: [
        [170, 0],
        [190, 5],
      ],
    });
    const moved = diffFeatures(rendered, new Map([['pacific', across(-160)]]), ['pacific']);
    expect(moved.shapes.update?.[0]?.newGeometry).toEqual({
      type: 'LineString',
      coordinates: [
        [170, 0],
        [200, 5],
      ],
    });
    // What is kept as rendered state is the stored feature, untouched.
    expect(rendered.get('pacific')?.geometry).toEqual(across(-160).geometry);
  });
});
