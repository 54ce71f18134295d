import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Position as GeoPosition } from 'geojson';
import { describe, expect, it } from 'vitest';
import { buildBasemap } from './build-basemap.ts';

const require = createRequire(import.meta.url);
const read = (file: string) => JSON.parse(readFileSync(require.resolve(`world-atlas/${file}`), 'utf8'));

function paths(coordinates: unknown, depth: number): GeoPosition[][] {
  if (depth === 1) return [coordinates as GeoPosition[]];
  return (coordinates as unknown[]).flatMap((c) => paths(c, depth - 1));
}

describe('buildBasemap (world-atlas)', () => {
  const { overview, detail } = buildBasemap(read('countries-110m.json'), read('countries-50m.json'));
  const basemap = { features: [...overview.features, ...detail.features] };
  const byKind = (kind: string) => overview.features.filter((f) => f.properties.kind === kind);

  it('has land, coasts, borders, country labels and places', () => {
    expect(byKind('land')).toHaveLength(1);
    expect(byKind('coast')).toHaveLength(1);
    expect(byKind('border')).toHaveLength(1);
    // Labels come from the detailed data, so small countries are named too.
    expect(byKind('country-label').length).toBeGreaterThan(230);
    expect(detail.features.map((f) => f.properties.kind)).toEqual(['land', 'coast', 'border']);
    expect(byKind('place').length).toBeGreaterThan(50);
  });

  it('has no segment that streaks across the map', () => {
    const streaks: string[] = [];
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
          const [ax, ay] = path[i - 1] as [number, number];
          const [bx, by] = path[i] as [number, number];
          const alongPole = Math.abs(ay) === 90 && ay === by;
          if ((!alongPole && Math.abs(ax - bx) > 180) || Math.abs(bx) > 180)
            streaks.push(`${f.properties.kind}: ${ax},${ay} -> ${bx},${by}`);
        }
      }
    }
    expect(streaks).toEqual([]);
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
