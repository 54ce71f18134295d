import { describe, expect, it } from 'vitest';
import { Feature } from '../geo.ts';
import { mixedFeatures } from './mixed-features.ts';

describe('mixedFeatures', () => {
  it('gives valid features of three kinds, deterministically, with the ids the prefix asks for', () => {
    const features = mixedFeatures(6, { prefix: 'k' });
    for (const feature of features) expect(Feature.safeParse(feature).success).toBe(true);
    expect(features.map((f) => f.geometry.type)).toEqual([
      'Point',
      'MultiPolygon',
      'LineString',
      'Point',
      'MultiPolygon',
      'LineString',
    ]);
    expect(features.map((f) => f.id)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5']);
    expect(mixedFeatures(6, { prefix: 'k' })).toEqual(features);
  });

  it('adds style and nested properties only when asked, and they stay valid', () => {
    const [point, islands, track] = mixedFeatures(3, { styled: true });
    expect(point?.properties).toMatchObject({ 'marker-color': '#e4572e' });
    expect(islands?.properties).toMatchObject({ 'fill-opacity': 0.4 });
    expect(track?.properties).toMatchObject({ meta: { device: 'gps', laps: [1, 2] } });
    for (const feature of [point, islands, track]) expect(Feature.safeParse(feature).success).toBe(true);
    const plain = mixedFeatures(3);
    expect(plain.map((f) => Object.keys(f.properties))).toEqual([
      ['title', 'street', 'zip'],
      ['name', 'population', 'fill'],
      ['track', 'stroke', 'stroke-width'],
    ]);
  });
});
