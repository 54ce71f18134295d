import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Position as GeoPosition } from 'geojson';
import { describe, expect, it } from 'vitest';
import { buildBasemap } from './build-basemap.ts';

const require = createRequire(import.meta.url);
const topology = JSON.parse(readFileSync(require.resolve('world-atlas/countries-110m.json'), 'utf8'));

function paths(coordinates: unknown, depth: number): GeoPosition[][] {
  if (depth === 1) return [coordinates as GeoPosition[]];
  return (coordinates as unknown[]).flatMap((c) => paths(c, depth - 1));
}

describe('buildBasemap (world-atlas 110m)', () => {
  const basemap = buildBasemap(topology);
  const byKind = (kind: string) => basemap.features.filter((f) => f.properties.kind === kind);

  it('has land, coasts, borders, country labels and places', () => {
    expect(byKind('land')).toHaveLength(1);
    expect(byKind('coast')).toHaveLength(1);
    expect(byKind('border')).toHaveLength(1);
    expect(byKind('country-label').length).toBeGreaterThan(150);
    expect(byKind('place').length).toBeGreaterThan(50);
  });

  it('has no segment that streaks across the map', () => {
    for (const f of basemap.features) {
      const g = f.geometry;
      const all =
        g.type === 'MultiPolygon'
          ? paths(g.coordinates, 3)
          : g.type === 'MultiLineString'
            ? paths(g.coordinates, 2)
            : [];
      for (const path of all) {
        for (let i = 1; i < path.length; i++) {
          const a = path[i - 1] as GeoPosition;
          const b = path[i] as GeoPosition;
          const alongPole = Math.abs(a[1] as number) === 90 && a[1] === b[1];
          if (!alongPole) expect(Math.abs((a[0] as number) - (b[0] as number))).toBeLessThanOrEqual(180);
          expect(Math.abs(b[0] as number)).toBeLessThanOrEqual(180);
        }
      }
    }
  });

  it('labels Russia in Russia and Fiji near Fiji', () => {
    const label = (name: string) => byKind('country-label').find((f) => f.properties.name === name)?.geometry;
    const russia = label('Russia');
    expect(russia?.type).toBe('Point');
    const [lng, lat] = (russia as { coordinates: number[] }).coordinates as [number, number];
    expect(lng).toBeGreaterThan(40);
    expect(lng).toBeLessThan(140);
    expect(lat).toBeGreaterThan(50);
    const fiji = (label('Fiji') as { coordinates: number[] }).coordinates as [number, number];
    expect(Math.abs(fiji[0])).toBeGreaterThan(175);
  });
});
