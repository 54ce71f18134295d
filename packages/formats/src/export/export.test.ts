import type { Feature, Geometry } from '@meridian/protocol';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { readImport } from '../import/read.ts';
import { validateCandidatesSync } from '../import/validate.ts';
import { fixtureFiles } from '../testing/real-data.ts';
import { exportGeoJson } from './geojson.ts';
import { exportKml } from './kml.ts';

/** Shoelace sum: positive for counter-clockwise rings (lng/lat as x/y). */
const signedArea = (ring: number[][]) =>
  ring.reduce((sum, p, i) => {
    const q = ring[(i + 1) % ring.length] as number[];
    return sum + (p[0] as number) * (q[1] as number) - (q[0] as number) * (p[1] as number);
  }, 0);

const feature = (id: string, geometry: Geometry, properties: Feature['properties'] = {}): Feature => ({
  type: 'Feature',
  id,
  geometry,
  properties,
  version: 3,
});

// Outer ring clockwise, hole counter-clockwise: the opposite of RFC 7946.
const clockwiseWithHole: Geometry = {
  type: 'Polygon',
  coordinates: [
    [
      [0, 0, 10],
      [0, 10, 10],
      [10, 10, 10],
      [10, 0, 10],
      [0, 0, 10],
    ],
    [
      [2, 2],
      [8, 2],
      [8, 8],
      [2, 8],
      [2, 2],
    ],
  ],
};

describe('GeoJSON export', () => {
  it('winds outer rings counter-clockwise and holes clockwise, keeps ids, properties and altitudes', () => {
    const properties = {
      title: 'Field',
      fill: '#3a7',
      'fill-opacity': 0.4,
      nested: { a: [1, null, 'x'] },
      n: null,
    };
    const map = [feature('f1', clockwiseWithHole, properties)];
    const before = structuredClone(map);
    const out = JSON.parse(exportGeoJson(map));
    expect(out.type).toBe('FeatureCollection');
    const [exported] = out.features;
    expect(exported).toMatchObject({ type: 'Feature', id: 'f1', properties });
    expect(exported.version).toBeUndefined();
    const [outer, hole] = exported.geometry.coordinates;
    expect(signedArea(outer)).toBeGreaterThan(0);
    expect(signedArea(hole)).toBeLessThan(0);
    expect(outer.every((p: number[]) => p[2] === 10)).toBe(true);
    // The map's own features are not rewound in place.
    expect(map).toEqual(before);
  });

  it('winds every polygon of every fixture counter-clockwise', () => {
    const features = fixtureFiles().flatMap(([name, text], i) => {
      const outcome = readImport(text, { fileName: name });
      if (outcome.status !== 'read') return [];
      return validateCandidatesSync(outcome.candidates).features.map((f, j) =>
        feature(`f${i}-${j}`, f.geometry, f.properties),
      );
    });
    const out = JSON.parse(exportGeoJson(features));
    const polygons = (g: Geometry): number[][][][] =>
      g.type === 'Polygon'
        ? [g.coordinates as number[][][]]
        : g.type === 'MultiPolygon'
          ? (g.coordinates as number[][][][])
          : g.type === 'GeometryCollection'
            ? g.geometries.flatMap(polygons)
            : [];
    const all = out.features.flatMap((f: Feature) => polygons(f.geometry));
    expect(all.length).toBeGreaterThan(3);
    for (const [outer, ...holes] of all) {
      expect(signedArea(outer as number[][])).toBeGreaterThan(0);
      for (const hole of holes) expect(signedArea(hole)).toBeLessThan(0);
    }
  });
});

describe('KML export', () => {
  it('gives back geometries with altitudes and every property when read again', () => {
    const map = [
      feature(
        'p',
        { type: 'Point', coordinates: [6.8652, 45.8326, 4808] },
        { title: 'Summit', 'marker-color': '#e4572e' },
      ),
      feature(
        'l',
        {
          type: 'LineString',
          coordinates: [
            [0, 0],
            [1, 1],
          ],
        },
        { name: 'Road', description: 'Old <road> & co' },
      ),
      feature('m', {
        type: 'MultiPolygon',
        coordinates: [
          clockwiseWithHole.coordinates as never,
          [
            [
              [20, 20],
              [21, 20],
              [21, 21],
              [20, 20],
            ],
          ],
        ],
      }),
      feature('g', {
        type: 'GeometryCollection',
        geometries: [
          { type: 'Point', coordinates: [1, 2, 3] },
          {
            type: 'LineString',
            coordinates: [
              [1, 2, 5],
              [3, 4, 6],
            ],
          },
        ],
      }),
    ];
    const kml = exportKml(map);
    expect(kml).toContain('<coordinates>6.8652,45.8326,4808</coordinates>');
    const outcome = readImport(kml, { domParser: DOMParser as never, fileName: 'map.kml' });
    if (outcome.status !== 'read') throw new Error('not read');
    const back = validateCandidatesSync(outcome.candidates);
    expect(back.skipped).toEqual([]);
    expect(back.features[0]?.geometry).toEqual(map[0]?.geometry);
    expect(back.features[0]?.properties).toMatchObject({ title: 'Summit', 'marker-color': '#e4572e' });
    expect(back.features[1]?.properties).toMatchObject({ name: 'Road', description: 'Old <road> & co' });
    expect(back.features[2]?.geometry.type).toBe('MultiPolygon');
    expect(back.features[3]?.geometry).toEqual(map[3]?.geometry);
  });
});

describe('KML style numbers', () => {
  it('come back as numbers, so a styled feature survives GeoJSON → KML → GeoJSON', () => {
    const styled = feature(
      's',
      {
        type: 'LineString',
        coordinates: [
          [0, 0],
          [1, 1],
        ],
      },
      {
        title: 'Styled',
        stroke: '#ff0000',
        'stroke-width': 3,
        'stroke-opacity': 0.5,
        'fill-opacity': 0.25,
      },
    );
    const outcome = readImport(exportKml([styled]), { domParser: DOMParser as never, fileName: 'a.kml' });
    if (outcome.status !== 'read') throw new Error('not read');
    const back = validateCandidatesSync(outcome.candidates);
    expect(back.skipped).toEqual([]);
    expect(back.features[0]?.properties).toMatchObject(styled.properties);
  });
});
