import type { Feature } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { exportGeoJson, importGeoJson } from './geojson-io.ts';

describe('importGeoJson', () => {
  it('reads a FeatureCollection with simplestyle properties', () => {
    const result = importGeoJson(
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            geometry: { type: 'Point', coordinates: [2.35, 48.85, 35] },
            properties: { name: 'Paris', 'marker-color': '#f00' },
          },
          {
            type: 'Feature',
            geometry: {
              type: 'LineString',
              coordinates: [
                [0, 0],
                [1, 1],
              ],
            },
            properties: { title: 'Road', stroke: '#00FF00', description: 'A' },
          },
        ],
      }),
    );
    expect(result.skipped).toEqual([]);
    expect(result.features).toEqual([
      {
        geometry: { type: 'Point', coordinates: [2.35, 48.85] },
        properties: { title: 'Paris', 'marker-color': '#ff0000', stroke: '#ff0000', fill: '#ff0000' },
      },
      {
        geometry: {
          type: 'LineString',
          coordinates: [
            [0, 0],
            [1, 1],
          ],
        },
        properties: {
          title: 'Road',
          description: 'A',
          'marker-color': '#00ff00',
          stroke: '#00ff00',
          fill: '#00ff00',
        },
      },
    ]);
  });

  it('splits multi-geometries and closes open polygon rings', () => {
    const result = importGeoJson(
      JSON.stringify({
        type: 'Feature',
        properties: { title: 'Islands' },
        geometry: {
          type: 'MultiPolygon',
          coordinates: [
            [
              [
                [0, 0],
                [1, 0],
                [1, 1],
              ],
            ],
            [
              [
                [5, 5],
                [6, 5],
                [6, 6],
                [5, 5],
              ],
            ],
          ],
        },
      }),
    );
    expect(result.features).toHaveLength(2);
    const first = result.features[0]?.geometry;
    expect(first?.type === 'Polygon' && first.coordinates[0]).toEqual([
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 0],
    ]);
    expect(result.features.every((f) => f.properties.title === 'Islands')).toBe(true);
  });

  it('reports what it cannot use instead of throwing', () => {
    expect(importGeoJson('{not json').skipped).toEqual(['The file is not valid JSON.']);
    expect(importGeoJson('[1,2]').skipped).toEqual(['The file is not a GeoJSON object.']);
    const result = importGeoJson(
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', geometry: { type: 'Point', coordinates: [200, 0] }, properties: null },
          { type: 'Feature', geometry: null, properties: {} },
          { type: 'Feature', geometry: { type: 'Circle', coordinates: [0, 0] } },
          {
            type: 'Feature',
            geometry: { type: 'Point', coordinates: [1, 1] },
            properties: { title: 42, color: 'red' },
          },
        ],
      }),
    );
    expect(result.features).toEqual([
      { geometry: { type: 'Point', coordinates: [1, 1] }, properties: { title: '42' } },
    ]);
    expect(result.skipped).toHaveLength(3);
    expect(result.skipped[1]).toBe('feature 2: it has no geometry');
  });

  it('never lets markup through as anything but text', () => {
    const result = importGeoJson(
      JSON.stringify({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [0, 0] },
        properties: { title: '<img src=x onerror=alert(1)>' },
      }),
    );
    expect(result.features[0]?.properties.title).toBe('<img src=x onerror=alert(1)>');
  });
});

describe('exportGeoJson', () => {
  it('keeps the other properties (valid style keys included) for popups and export, dropping what is invalid', () => {
    const result = importGeoJson(
      JSON.stringify({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [1, 1] },
        properties: {
          name: 'Café',
          opening: { mon: '8-18' },
          seats: 24,
          'marker-symbol': 'cafe',
          'stroke-width': -3,
          'stroke-dash': 'dot',
          layer: 'l-1',
          nothing: null,
        },
      }),
    );
    expect(result.features[0]?.properties).toEqual({
      title: 'Café',
      opening: { mon: '8-18' },
      seats: 24,
      'marker-symbol': 'cafe',
      'stroke-dash': 'dot',
    });
    const hostile = importGeoJson(
      '{"type":"Feature","geometry":{"type":"Point","coordinates":[1,1]},"properties":{"__proto__":{"x":1},"a":{"constructor":1},"b":2}}',
    );
    expect(hostile.features[0]?.properties).toEqual({});
  });

  it('writes a FeatureCollection that imports back to the same geometries and properties', () => {
    const features: Feature[] = [
      {
        type: 'Feature',
        id: 'a',
        geometry: { type: 'Point', coordinates: [1, 2] },
        properties: { title: 'A', 'marker-color': '#123456', stroke: '#123456', fill: '#123456' },
        version: 3,
      },
      {
        type: 'Feature',
        id: 'b',
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 0],
            ],
          ],
        },
        properties: {},
        version: 1,
      },
    ];
    const text = exportGeoJson(features);
    expect(JSON.parse(text).features[0].id).toBe('a');
    expect(importGeoJson(text).features).toEqual(
      features.map(({ geometry, properties }) => ({ geometry, properties })),
    );
  });
});
