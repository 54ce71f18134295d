import type { Feature } from '../geo.ts';

export interface MixedFeaturesOptions {
  /** Feature ids are `${prefix}${i}`; a second batch with another prefix does not collide. */
  prefix?: string;
  /**
   * Add simplestyle properties (`marker-color`, `fill-opacity`) and a nested object property,
   * as files from other tools carry. Off, the features are the lighter ones the benchmarks'
   * published figures were taken with.
   */
  styled?: boolean;
}

/**
 * Deterministic test data: Points (a CSV of addresses), MultiPolygons (islands), 3D lines
 * (GPX tracks), with free properties. Shared by the realtime tests and the benchmarks.
 */
export function mixedFeatures(
  count: number,
  { prefix = 'f', styled = false }: MixedFeaturesOptions = {},
): Feature[] {
  return Array.from({ length: count }, (_, i): Feature => {
    const lng = ((i * 7.3) % 340) - 170;
    const lat = ((i * 3.1) % 160) - 80;
    const id = `${prefix}${i}`;
    switch (i % 3) {
      case 0:
        return {
          type: 'Feature',
          id,
          geometry: { type: 'Point', coordinates: [lng, lat] },
          properties: {
            title: `Address ${i}`,
            street: `${i} Main St`,
            zip: 10_000 + (i % 9000),
            ...(styled && { 'marker-color': '#e4572e' }),
          },
          version: 0,
        };
      case 1: {
        const square = (x: number): [number, number][] => [
          [x, lat],
          [x + 0.5, lat],
          [x + 0.5, lat + 0.5],
          [x, lat],
        ];
        return {
          type: 'Feature',
          id,
          geometry: { type: 'MultiPolygon', coordinates: [[square(lng)], [square(lng + 1)]] },
          properties: {
            name: `Islands ${i}`,
            population: i * 13,
            fill: '#0a0',
            ...(styled && { 'fill-opacity': 0.4 }),
          },
          version: 0,
        };
      }
      default:
        return {
          type: 'Feature',
          id,
          geometry: {
            type: 'LineString',
            coordinates: Array.from({ length: 20 }, (_, k): [number, number, number] => [
              lng + k * 0.01,
              lat,
              100 + k,
            ]),
          },
          properties: {
            track: `Run ${i}`,
            stroke: '#123456',
            'stroke-width': 3,
            ...(styled && { meta: { device: 'gps', laps: [1, 2] } }),
          },
          version: 0,
        };
    }
  });
}
