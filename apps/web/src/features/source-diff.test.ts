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
});
