import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Geometry, Position } from '@meridian/protocol';
import type { MultiPolygon, Polygon } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { describe, expect, it } from 'vitest';
import { crossesAntimeridian, drawableGeometry } from './antimeridian.ts';

const require = createRequire(import.meta.url);
/** Natural Earth countries, as people import them (world-atlas through topojson-client). */
function countries(file: string): Map<string, Geometry> {
  const topology = JSON.parse(readFileSync(require.resolve(`world-atlas/${file}`), 'utf8')) as Topology;
  const collection = feature(topology, topology.objects.countries as GeometryCollection<{ name: string }>);
  return new Map(collection.features.map((f) => [f.properties.name, f.geometry as Geometry]));
}
const atlas110 = countries('countries-110m.json');
const atlas50 = countries('countries-50m.json');

const polygonsOf = (geometry: Geometry): Position[][][] =>
  geometry.type === 'Polygon'
    ? [geometry.coordinates]
    : geometry.type === 'MultiPolygon'
      ? geometry.coordinates
      : [];

/** The widest step in longitude between neighbouring vertices, but for edges along a pole. */
const widestStep = (geometry: Geometry): number => {
  let widest = 0;
  for (const polygon of polygonsOf(geometry))
    for (const ring of polygon)
      for (let i = 1; i < ring.length; i++) {
        const [a, b] = [ring[i - 1] as Position, ring[i] as Position];
        if (Math.abs(a[1]) === 90 && a[1] === b[1]) continue;
        widest = Math.max(widest, Math.abs(b[0] - a[0]));
      }
  return widest;
};

/** Planar even-odd test, as a renderer fills a ring. */
function ringCovers(ring: Position[], [x, y]: [number, number]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as Position;
    const [xj, yj] = ring[j] as Position;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
/** Whether a drawn geometry covers a place on this world copy or a neighbouring one. */
const covers = (geometry: Geometry, [lng, lat]: [number, number]): boolean =>
  [-360, 0, 360].some((shift) =>
    polygonsOf(geometry).some((polygon) => ringCovers(polygon[0] as Position[], [lng + shift, lat])),
  );

const ATLANTIC_AT_FIJI_LATITUDE: [number, number] = [-30, -16.5];

describe('drawableGeometry on Natural Earth countries', () => {
  it('finds the countries that cross ±180° and only those', () => {
    const crossing = [...atlas110].filter(([, g]) => crossesAntimeridian(g)).map(([name]) => name);
    expect(crossing.sort()).toEqual(['Antarctica', 'Fiji', 'Russia']);
  });

  it('leaves every other country as the very same object (no copy on the common path)', () => {
    for (const [name, geometry] of atlas110)
      if (!['Antarctica', 'Fiji', 'Russia'].includes(name)) expect(drawableGeometry(geometry)).toBe(geometry);
  });

  it('draws Fiji as islands, not as a band across the world', () => {
    const stored = atlas110.get('Fiji') as Geometry;
    // As stored, a planar fill of Fiji covers the open Atlantic: the band.
    expect(covers(stored, ATLANTIC_AT_FIJI_LATITUDE)).toBe(true);
    const drawn = drawableGeometry(stored);
    expect(widestStep(drawn)).toBeLessThan(180);
    expect(covers(drawn, ATLANTIC_AT_FIJI_LATITUDE)).toBe(false);
    // …while the islands stay where they are: Vanua Levu straddles the line.
    expect(covers(drawn, [179.5, -16.6])).toBe(true);
    for (const polygon of polygonsOf(drawn)) {
      const lngs = polygon.flat().map((p) => p[0]);
      expect(Math.max(...lngs) - Math.min(...lngs)).toBeLessThan(5);
    }
  });

  it('draws Chukotka next to the rest of Russia, at every scale', () => {
    for (const atlas of [atlas110, atlas50]) {
      const drawn = drawableGeometry(atlas.get('Russia') as Geometry);
      expect(widestStep(drawn)).toBeLessThan(180);
      expect(covers(drawn, [-30, 66])).toBe(false); // Iceland's latitude, in the Atlantic
      expect(covers(drawn, [-178, 67])).toBe(true); // Chukotka, east of the line
      expect(covers(drawn, [100, 62])).toBe(true); // Siberia
    }
  });

  it('closes Antarctica along the south pole, covering the pole and not the southern ocean', () => {
    const drawn = drawableGeometry(atlas110.get('Antarctica') as Geometry);
    expect(widestStep(drawn)).toBeLessThan(180);
    expect(covers(drawn, [0, -89])).toBe(true);
    expect(covers(drawn, [170, -88])).toBe(true);
    expect(covers(drawn, [-30, -60])).toBe(false);
    // The only edge that spans the world runs along the pole, off the edge of a Mercator map.
    const ring = polygonsOf(drawn)
      .flat()
      .find((r) => r.some((p) => p[1] === -90)) as Position[];
    expect(ring.filter((p) => p[1] === -90)).toHaveLength(2);
    for (const polygon of polygonsOf(drawn))
      for (const ring of polygon) expect(ring[ring.length - 1]).toEqual(ring[0]);
  });

  it('keeps every ring closed and never changes the stored geometry', () => {
    for (const atlas of [atlas110, atlas50])
      for (const [, geometry] of atlas) {
        const before = JSON.stringify(geometry);
        const drawn = drawableGeometry(geometry);
        expect(JSON.stringify(geometry)).toBe(before);
        for (const polygon of polygonsOf(drawn))
          for (const ring of polygon) expect(ring[ring.length - 1]).toEqual(ring[0]);
      }
  });
});

describe('drawableGeometry on lines and holes', () => {
  it('draws a line from Tokyo to San Francisco across the Pacific', () => {
    const line: Geometry = {
      type: 'LineString',
      coordinates: [
        [139.7, 35.7],
        [-157.9, 21.3],
        [-122.4, 37.8],
      ],
    };
    const drawn = drawableGeometry(line);
    expect(drawn.coordinates).toEqual([
      [139.7, 35.7],
      [202.1, 21.3],
      [237.6, 37.8],
    ]);
  });

  it('keeps altitudes and unwraps every part of a multi-line', () => {
    const lines: Geometry = {
      type: 'MultiLineString',
      coordinates: [
        [
          [179, 0, 12],
          [-179, 1, 15],
        ],
        [
          [0, 0],
          [1, 1],
        ],
      ],
    };
    expect(drawableGeometry(lines).coordinates).toEqual([
      [
        [179, 0, 12],
        [181, 1, 15],
      ],
      [
        [0, 0],
        [1, 1],
      ],
    ]);
  });

  it('keeps a hole on the same world copy as its shell', () => {
    const polygon: Polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [178, -10],
          [-178, -10],
          [-178, -14],
          [178, -14],
          [178, -10],
        ],
        [
          [-179.5, -11],
          [-179.5, -13],
          [-179, -13],
          [-179, -11],
          [-179.5, -11],
        ],
      ],
    };
    const drawn = drawableGeometry(polygon as Geometry) as Polygon;
    expect(drawn.coordinates[0]?.map((p) => p[0])).toEqual([178, 182, 182, 178, 178]);
    expect(drawn.coordinates[1]?.map((p) => p[0])).toEqual([180.5, 180.5, 181, 181, 180.5]);
  });

  it('unwraps inside a geometry collection and leaves points alone', () => {
    const collection: Geometry = {
      type: 'GeometryCollection',
      geometries: [
        { type: 'Point', coordinates: [-179.5, 0] },
        {
          type: 'MultiPolygon',
          coordinates: [
            [
              [
                [179, 0],
                [-179, 0],
                [-179, 1],
                [179, 0],
              ],
            ],
          ],
        } satisfies MultiPolygon as Extract<Geometry, { type: 'MultiPolygon' }>,
      ],
    };
    const drawn = drawableGeometry(collection);
    expect(drawn.type === 'GeometryCollection' && drawn.geometries[0]).toEqual({
      type: 'Point',
      coordinates: [-179.5, 0],
    });
    expect(widestStep(drawn.type === 'GeometryCollection' ? (drawn.geometries[1] as Geometry) : drawn)).toBe(
      2,
    );
  });
});
