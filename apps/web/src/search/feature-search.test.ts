import type { Feature } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { searchFeatures } from './feature-search.ts';

const marker = (id: string, title?: string, description?: string): Feature =>
  ({
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [0, 0] },
    properties: {
      ...(title ? { title } : {}),
      ...(description ? { description } : {}),
      'marker-color': '#ff0000',
    },
    version: 1,
  }) satisfies Feature;

describe('searchFeatures', () => {
  const many = Array.from({ length: 314 }, (_, i) => marker(`f${i}`, `Stop ${i}`));
  many.splice(3, 0, marker('meet', 'Meeting point', 'By the fountain'));

  it('finds any feature, not only the latest', () => {
    expect(searchFeatures(many, 'meeting', 10).map((f) => f.id)).toEqual(['meet']);
  });

  it('ignores case and accents, and needs every word', () => {
    const features = [marker('a', 'Café de Lyon'), marker('b', 'Lyon station'), marker('c', 'Paris café')];
    expect(searchFeatures(features, 'cafe lyon', 10).map((f) => f.id)).toEqual(['a']);
  });

  it('searches descriptions and other text, ranking title matches first', () => {
    const features = [
      marker('d', 'Bench', 'near the fountain'),
      marker('t', 'Fountain'),
      marker('x', 'Tree'),
    ];
    expect(searchFeatures(features, 'fountain', 10).map((f) => f.id)).toEqual(['t', 'd']);
    expect(searchFeatures(features, '#ff0000', 10)).toEqual([]);
  });

  it('returns nothing for a blank query and at most the limit', () => {
    expect(searchFeatures(many, '   ', 10)).toEqual([]);
    expect(searchFeatures(many, 'stop', 5)).toHaveLength(5);
  });
});
