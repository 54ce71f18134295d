import { type Position, ringArea2 } from './antimeridian.ts';

/**
 * A point inside a polygon to hang its label on: the middle of the widest span of a horizontal
 * line through the polygon's centroid. Unlike the centroid itself it never falls outside
 * (a crescent, an archipelago's main island, a country wrapped around a gulf).
 */
export function labelPoint(rings: readonly (readonly Position[])[]): Position | undefined {
  const outer = rings[0];
  if (!outer || outer.length < 4) return undefined;
  const centroid = ringCentroid(outer);
  const lat = centroid[1];
  const crossings: number[] = [];
  for (const ring of rings) {
    for (let i = 1; i < ring.length; i++) {
      const a = ring[i - 1] as Position;
      const b = ring[i] as Position;
      // Half-open test so a vertex exactly on the scanline is counted once.
      if (a[1] <= lat !== b[1] <= lat) crossings.push(a[0] + ((lat - a[1]) / (b[1] - a[1])) * (b[0] - a[0]));
    }
  }
  crossings.sort((x, y) => x - y);
  let best: Position | undefined;
  let widest = -1;
  for (let i = 0; i + 1 < crossings.length; i += 2) {
    const west = crossings[i] as number;
    const east = crossings[i + 1] as number;
    if (east - west > widest) {
      widest = east - west;
      best = [(west + east) / 2, lat];
    }
  }
  return best ?? centroid;
}

/** Area-weighted centroid of a closed ring (planar, in degrees). */
export function ringCentroid(ring: readonly Position[]): Position {
  const area2 = ringArea2(ring);
  if (Math.abs(area2) < 1e-12) {
    const sum = ring.reduce((acc, p) => [acc[0] + p[0], acc[1] + p[1]] as Position, [0, 0] as Position);
    return [sum[0] / ring.length, sum[1] / ring.length];
  }
  let cx = 0;
  let cy = 0;
  for (let i = 1; i < ring.length; i++) {
    const a = ring[i - 1] as Position;
    const b = ring[i] as Position;
    const cross = a[0] * b[1] - b[0] * a[1];
    cx += (a[0] + b[0]) * cross;
    cy += (a[1] + b[1]) * cross;
  }
  return [cx / (3 * area2), cy / (3 * area2)];
}

/** Planar area of a polygon in square degrees, shrunk by cos(latitude) so polar land does not dominate. */
export function approximateArea(rings: readonly (readonly Position[])[]): number {
  const [outer, ...holes] = rings;
  if (!outer) return 0;
  const scale = Math.cos((ringCentroid(outer)[1] * Math.PI) / 180);
  const area =
    Math.abs(ringArea2(outer)) / 2 - holes.reduce((sum, hole) => sum + Math.abs(ringArea2(hole)) / 2, 0);
  return Math.max(0, area * scale);
}
