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

type BasemapFeature = Feature<Geometry, BasemapProperties>;

/** Land polygons, coastlines and country borders, all cut at ±180°. */
export function landAndBorders(topology: CountriesTopology): BasemapFeature[] {
  const landGeometries = feature(topology, topology.objects.land).features.map((f) => f.geometry);
  const land: MultiPolygon = { type: 'MultiPolygon', coordinates: landGeometries.flatMap(splitPolygons) };
  const coast = mesh(topology, topology.objects.land);
  const borders = mesh(topology, topology.objects.countries, (a, b) => a !== b);
  return [
    { type: 'Feature', properties: { kind: 'land' }, geometry: land },
    {
      type: 'Feature',
      properties: { kind: 'coast' },
      geometry: { type: 'MultiLineString', coordinates: splitLines(coast) },
    },
    {
      type: 'Feature',
      properties: { kind: 'border' },
      geometry: { type: 'MultiLineString', coordinates: splitLines(borders) },
    },
  ];
}

/** A label point per country, inside its largest piece, ranked by total area. */
export function countryLabels(topology: CountriesTopology): BasemapFeature[] {
  const labels: BasemapFeature[] = [];
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
    labels.push({
      type: 'Feature',
      properties: { kind: 'country-label', name, rank: rankByArea(total) },
      geometry: { type: 'Point', coordinates: [round(point[0]), round(point[1])] },
    });
  }
  return labels;
}

export function majorPlaces(): BasemapFeature[] {
  return MAJOR_PLACES.map(([name, lng, lat, rank]) => ({
    type: 'Feature',
    properties: { kind: 'place', name, rank },
    geometry: { type: 'Point', coordinates: [lng, lat] },
  }));
}

/**
 * The two offline basemap files. The overview (1:110m shapes, with every label) is small and
 * loads at once; the detail (1:50m shapes) is ten times larger and only fetched when someone
 * zooms in far enough to see the difference.
 */
export function buildBasemap(
  overview: CountriesTopology,
  detail: CountriesTopology,
): {
  overview: FeatureCollection<Geometry, BasemapProperties>;
  detail: FeatureCollection<Geometry, BasemapProperties>;
} {
  return {
    overview: {
      type: 'FeatureCollection',
      features: [...landAndBorders(overview), ...countryLabels(detail), ...majorPlaces()],
    },
    detail: { type: 'FeatureCollection', features: landAndBorders(detail) },
  };
}
