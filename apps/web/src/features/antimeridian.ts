import type { Geometry, Position } from '@meridian/protocol';

/**
 * Drawing shapes that cross ±180°. Stored longitudes stay within −180..180 (RFC 7946), so a ring
 * around Fiji jumps from 179.9 to −179.9; drawn as stored, that edge spans the whole world and
 * the shape becomes a band. For drawing only, each ring and line is made continuous in longitude
 * (a step of more than 180° is taken the short way, by ±360): MapLibre draws longitudes beyond
 * ±180 on the neighbouring world copy, and its GeoJSON tiler wraps them back onto this one.
 * A ring that goes round a pole (Antarctica) cannot close that way: it is closed along the pole.
 */

/** More than half the world between two neighbouring vertices is taken as the short way round. */
const HALF_WORLD = 180;

function unwrapPath(path: readonly Position[]): { path: Position[]; turns: number } {
  const first = path[0];
  if (!first) return { path: [], turns: 0 };
  const out: Position[] = [first];
  let offset = 0;
  let previous = first[0];
  for (let i = 1; i < path.length; i++) {
    const position = path[i] as Position;
    const lng = position[0];
    const step = lng - previous;
    if (step > HALF_WORLD) offset -= 360;
    else if (step < -HALF_WORLD) offset += 360;
    previous = lng;
    out.push(offset === 0 ? position : withLng(position, lng + offset));
  }
  return { path: out, turns: offset / 360 };
}

const withLng = (position: Position, lng: number): Position =>
  [lng, ...position.slice(1)] as unknown as Position;

/** Shift a path by whole turns so it starts as near as possible to `near` (a hole near its shell). */
function shiftNear(path: Position[], near: number): Position[] {
  const start = path[0];
  if (!start) return path;
  const turns = Math.round((near - start[0]) / 360);
  return turns === 0 ? path : path.map((p) => withLng(p, p[0] + turns * 360));
}

/** A closed ring, continuous; a ring round a pole is closed along that pole instead. */
function unwrapRing(ring: readonly Position[]): Position[] {
  const { path, turns } = unwrapPath(ring);
  if (turns === 0) return path;
  const first = path[0] as Position;
  const last = path[path.length - 1] as Position;
  const meanLat = path.reduce((sum, p) => sum + p[1], 0) / path.length;
  const pole = meanLat < 0 ? -90 : 90;
  return [...path, [last[0], pole], [first[0], pole], first];
}

function unwrapPolygon(rings: readonly (readonly Position[])[]): Position[][] {
  const [shell, ...holes] = rings;
  if (!shell) return [];
  const outer = unwrapRing(shell);
  const near = (outer[0] as Position)[0];
  return [outer, ...holes.map((hole) => shiftNear(unwrapRing(hole), near))];
}

const crosses = (path: readonly Position[]): boolean => {
  for (let i = 1; i < path.length; i++)
    if (Math.abs((path[i] as Position)[0] - (path[i - 1] as Position)[0]) > HALF_WORLD) return true;
  return false;
};

/** Whether any ring or line of the geometry steps across ±180° (cheap: no allocation). */
export function crossesAntimeridian(geometry: Geometry): boolean {
  switch (geometry.type) {
    case 'Point':
    case 'MultiPoint':
      return false;
    case 'LineString':
      return crosses(geometry.coordinates);
    case 'MultiLineString':
    case 'Polygon':
      return geometry.coordinates.some(crosses);
    case 'MultiPolygon':
      return geometry.coordinates.some((polygon) => polygon.some(crosses));
    case 'GeometryCollection':
      return geometry.geometries.some(crossesAntimeridian);
  }
}

/**
 * The geometry as it should be drawn: the same object when nothing crosses ±180° (the common
 * case costs one pass and no copy), otherwise a copy with continuous longitudes.
 */
export function drawableGeometry<G extends Geometry>(geometry: G): G {
  if (!crossesAntimeridian(geometry)) return geometry;
  return unwrapGeometry(geometry) as G;
}

function unwrapGeometry(geometry: Geometry): Geometry {
  switch (geometry.type) {
    case 'Point':
    case 'MultiPoint':
      return geometry;
    case 'LineString':
      return { ...geometry, coordinates: unwrapPath(geometry.coordinates).path };
    case 'MultiLineString':
      return { ...geometry, coordinates: geometry.coordinates.map((line) => unwrapPath(line).path) };
    case 'Polygon':
      return { ...geometry, coordinates: unwrapPolygon(geometry.coordinates) };
    case 'MultiPolygon':
      return { ...geometry, coordinates: geometry.coordinates.map(unwrapPolygon) };
    case 'GeometryCollection':
      return { ...geometry, geometries: geometry.geometries.map(unwrapGeometry) } as Geometry;
  }
}
