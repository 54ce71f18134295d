import type { Geometry, Position } from '@meridian/protocol';

const clampLat = (lat: number) => Math.max(-85, Math.min(85, lat));
const clampLng = (lng: number) => Math.max(-180, Math.min(180, lng));

/** Longitudes are clamped, not wrapped: a dragged shape must not tear across the antimeridian. */
function shift(position: Position, dLng: number, dLat: number): Position {
  return [clampLng(position[0] + dLng), clampLat(position[1] + dLat)];
}

/** The geometry with every position mapped (any RFC 7946 type). */
export function mapPositions(geometry: Geometry, f: (position: Position) => Position): Geometry {
  switch (geometry.type) {
    case 'Point':
      return { type: 'Point', coordinates: f(geometry.coordinates) };
    case 'MultiPoint':
      return { type: 'MultiPoint', coordinates: geometry.coordinates.map(f) };
    case 'LineString':
      return { type: 'LineString', coordinates: geometry.coordinates.map(f) };
    case 'MultiLineString':
      return { type: 'MultiLineString', coordinates: geometry.coordinates.map((line) => line.map(f)) };
    case 'Polygon':
      return { type: 'Polygon', coordinates: geometry.coordinates.map((ring) => ring.map(f)) };
    case 'MultiPolygon':
      return {
        type: 'MultiPolygon',
        coordinates: geometry.coordinates.map((polygon) => polygon.map((ring) => ring.map(f))),
      };
    case 'GeometryCollection':
      return {
        type: 'GeometryCollection',
        geometries: geometry.geometries.map(
          (g) => mapPositions(g, f) as Exclude<Geometry, { type: 'GeometryCollection' }>,
        ),
      };
  }
}

/** The first position of a geometry (an anchor for the multi-part types). */
function firstPosition(geometry: Geometry): Position {
  let first: Position | undefined;
  mapPositions(geometry, (p) => {
    first ??= p;
    return p;
  });
  return first ?? [0, 0];
}

/** A geometry moved by a longitude/latitude offset (a drag on the map). */
export function translateGeometry(geometry: Geometry, dLng: number, dLat: number): Geometry {
  switch (geometry.type) {
    case 'Point':
      return { type: 'Point', coordinates: shift(geometry.coordinates, dLng, dLat) };
    case 'LineString':
      return { type: 'LineString', coordinates: geometry.coordinates.map((p) => shift(p, dLng, dLat)) };
    case 'Polygon':
      return {
        type: 'Polygon',
        coordinates: geometry.coordinates.map((ring) => ring.map((p) => shift(p, dLng, dLat))),
      };
    default:
      return mapPositions(geometry, (p) => shift(p, dLng, dLat));
  }
}

/** A handle the user can drag to reshape: ring 0 for lines, the ring index for polygons. */
export interface Vertex {
  ring: number;
  index: number;
  position: Position;
}

/** Draggable vertices; a polygon ring's closing position is the same handle as its first. */
export function verticesOf(geometry: Geometry): Vertex[] {
  switch (geometry.type) {
    case 'Point':
      return [];
    case 'LineString':
      return geometry.coordinates.map((position, index) => ({ ring: 0, index, position }));
    case 'Polygon':
      return geometry.coordinates.flatMap((ring, ringIndex) =>
        ring.slice(0, -1).map((position, index) => ({ ring: ringIndex, index, position })),
      );
    default:
      // Multi-part geometries are moved whole, not reshaped vertex by vertex (yet).
      return [];
  }
}

/** The geometry with one vertex moved; moving a polygon's first vertex moves its closing one too. */
export function moveVertex(
  geometry: Geometry,
  vertex: Pick<Vertex, 'ring' | 'index'>,
  to: Position,
): Geometry {
  const target: Position = [clampLng(to[0]), clampLat(to[1])];
  switch (geometry.type) {
    case 'Point':
      return geometry;
    case 'LineString':
      return {
        type: 'LineString',
        coordinates: geometry.coordinates.map((p, i) => (i === vertex.index ? target : p)),
      };
    case 'Polygon':
      return {
        type: 'Polygon',
        coordinates: geometry.coordinates.map((ring, r) => {
          if (r !== vertex.ring) return ring;
          const last = ring.length - 1;
          return ring.map((p, i) => (i === vertex.index || (vertex.index === 0 && i === last) ? target : p));
        }),
      };
    default:
      return geometry;
  }
}

/** A polygon from the vertices a user clicked (closing the ring); undefined with fewer than three. */
export function polygonFromVertices(vertices: readonly Position[]): Geometry | undefined {
  if (vertices.length < 3) return undefined;
  const first = vertices[0] as Position;
  return { type: 'Polygon', coordinates: [[...vertices, [first[0], first[1]]]] };
}

/** A line from clicked vertices; undefined with fewer than two. */
export function lineFromVertices(vertices: readonly Position[]): Geometry | undefined {
  return vertices.length < 2 ? undefined : { type: 'LineString', coordinates: [...vertices] };
}

/** Where to put a label or an "editing" badge for a geometry: a point, a line's middle vertex, a ring's first. */
export function anchorOf(geometry: Geometry): Position {
  switch (geometry.type) {
    case 'Point':
      return geometry.coordinates;
    case 'LineString':
      return geometry.coordinates[Math.floor(geometry.coordinates.length / 2)] as Position;
    case 'Polygon': {
      const ring = geometry.coordinates[0] ?? [];
      const open = ring.slice(0, -1);
      const sum = open.reduce<[number, number]>((acc, p) => [acc[0] + p[0], acc[1] + p[1]], [0, 0]);
      return open.length ? [sum[0] / open.length, sum[1] / open.length] : [0, 0];
    }
    default:
      return firstPosition(geometry);
  }
}
