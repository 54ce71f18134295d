import type { Geometry, Position } from '@meridian/protocol';
import { area } from '@turf/area';
import { length } from '@turf/length';

/** What a geometry measures on the ground (turf: great-circle lengths, geodesic areas). */
export type Measurement =
  | { kind: 'length'; meters: number }
  | { kind: 'area'; squareMeters: number; perimeterMeters: number };

const lineMeters = (coordinates: Position[]) =>
  coordinates.length < 2
    ? 0
    : length(
        { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates } },
        { units: 'meters' },
      );

/** A line's length, an area's surface and perimeter; a marker measures nothing. */
export function measureGeometry(geometry: Geometry): Measurement | null {
  const feature = { type: 'Feature' as const, properties: {}, geometry };
  switch (geometry.type) {
    case 'Point':
    case 'MultiPoint':
      return null;
    case 'LineString':
    case 'MultiLineString':
      return { kind: 'length', meters: length(feature, { units: 'meters' }) };
    case 'Polygon':
    case 'MultiPolygon':
      // turf's length of a polygon walks every ring: the outline, holes included.
      return {
        kind: 'area',
        squareMeters: area(feature),
        perimeterMeters: length(feature, { units: 'meters' }),
      };
    case 'GeometryCollection': {
      const surfaces = geometry.geometries.filter((g) => g.type === 'Polygon' || g.type === 'MultiPolygon');
      if (surfaces.length > 0) {
        const part = {
          type: 'Feature' as const,
          properties: {},
          geometry: { type: 'GeometryCollection' as const, geometries: surfaces },
        };
        return { kind: 'area', squareMeters: area(part), perimeterMeters: length(part, { units: 'meters' }) };
      }
      const meters = length(feature, { units: 'meters' });
      return meters > 0 ? { kind: 'length', meters } : null;
    }
  }
}

/** The length of a path of positions (the measure tool's line). */
export const pathMeters = (path: Position[]): number => lineMeters(path);

const number = (value: number, digits: number) =>
  value.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** `850 m`, `12.4 km`, `1,204 km`: precise where it matters, never more digits than meaning. */
export function formatLength(meters: number): string {
  if (meters < 1000) return `${number(meters, meters < 10 ? 1 : 0)} m`;
  const km = meters / 1000;
  return `${number(km, km < 10 ? 2 : km < 100 ? 1 : 0)} km`;
}

/** `420 m²`, `3.2 ha`, `15.7 km²`. */
export function formatArea(squareMeters: number): string {
  if (squareMeters < 10_000) return `${number(squareMeters, 0)} m²`;
  if (squareMeters < 1_000_000) return `${number(squareMeters / 10_000, 2)} ha`;
  const km2 = squareMeters / 1_000_000;
  return `${number(km2, km2 < 100 ? 2 : 0)} km²`;
}
