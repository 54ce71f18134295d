import type { Feature, FeatureCollection, Geometry, MultiLineString, MultiPolygon } from 'geojson';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { type Position, splitLineAtAntimeridian, splitPolygonAtAntimeridian } from './antimeridian.ts';
import { approximateArea, labelPoint } from './label-point.ts';
import { MAJOR_PLACES } from './places.ts';

/** What each basemap feature is; the style filters on `kind`. */
export type BasemapKind = 'land' | 'border' | 'coast' | 'country-label' | 'place';

export interface BasemapProperties {
  kind: BasemapKind;
  name?: string;
  /** Label importance, 1 (largest) to 4; the style hides higher ranks at low zoom. */
  rank?: number;
}

type CountriesTopology = Topology<{
  countries: GeometryCollection<{ name: string }>;
  land: GeometryCollection;
}>;

/** Decimal places kept: 0.001° is ~100 m, finer than Natural Earth 1:50m ever is. */
const PRECISION = 1000;

const round = (value: number) => Math.round(value * PRECISION) / PRECISION;

function roundPath(path: readonly Position[]): Position[] {
  const out: Position[] = [];
  for (const [x, y] of path) {
    const point: Position = [round(x), round(y)];
    const last = out[out.length - 1];
    if (!last || last[0] !== point[0] || last[1] !== point[1]) out.push(point);
  }
  return out;
}

function polygonsOf(geometry: Geometry | null): Position[][][] {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return [geometry.coordinates as Position[][]];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates as Position[][][];
  return [];
}

function splitPolygons(geometry: Geometry | null): Position[][][] {
  return polygonsOf(geometry)
    .flatMap((polygon) => splitPolygonAtAntimeridian(polygon))
    .map((polygon) => polygon.map(roundPath).filter((ring) => ring.length >= 4));
}

function splitLines(geometry: MultiLineString): Position[][] {
  return (geometry.coordinates as Position[][])
    .flatMap((line) => splitLineAtAntimeridian(line))
    .map(roundPath)
    .filter((line) => line.length >= 2);
}

function rankByArea(area: number): number {
  if (area > 500) return 1;
  if (area > 60) return 2;
  if (area > 8) return 3;
  return 4;
}

/**
 * Turn world-atlas' countries TopoJSON into one GeoJSON FeatureCollection: land polygons,
 * coastlines and country borders (cut at ±180°), a label point per country, and major places.
 */
export function buildBasemap(topology: CountriesTopology): FeatureCollection<Geometry, BasemapProperties> {
  const features: Feature<Geometry, BasemapProperties>[] = [];

  const landGeometries = feature(topology, topology.objects.land).features.map((f) => f.geometry);
  const landPolygons = landGeometries.flatMap(splitPolygons);
  features.push({
    type: 'Feature',
    properties: { kind: 'land' },
    geometry: { type: 'MultiPolygon', coordinates: landPolygons } satisfies MultiPolygon,
  });

  const coast = mesh(topology, topology.objects.land);
  features.push({
    type: 'Feature',
    properties: { kind: 'coast' },
    geometry: { type: 'MultiLineString', coordinates: splitLines(coast) },
  });

  const borders = mesh(topology, topology.objects.countries, (a, b) => a !== b);
  features.push({
    type: 'Feature',
    properties: { kind: 'border' },
    geometry: { type: 'MultiLineString', coordinates: splitLines(borders) },
  });

  for (const country of feature(topology, topology.objects.countries).features) {
    const name = country.properties?.name;
    if (!name) continue;
    let largest: { polygon: Position[][]; area: number } | undefined;
    let total = 0;
    for (const polygon of splitPolygons(country.geometry)) {
      const area = approximateArea(polygon);
      total += area;
      if (!largest || area > largest.area) largest = { polygon, area };
    }
    const point = largest && labelPoint(largest.polygon);
    if (!point) continue;
    features.push({
      type: 'Feature',
      properties: { kind: 'country-label', name, rank: rankByArea(total) },
      geometry: { type: 'Point', coordinates: [round(point[0]), round(point[1])] },
    });
  }

  for (const [name, lng, lat, rank] of MAJOR_PLACES) {
    features.push({
      type: 'Feature',
      properties: { kind: 'place', name, rank },
      geometry: { type: 'Point', coordinates: [lng, lat] },
    });
  }

  return { type: 'FeatureCollection', features };
}
