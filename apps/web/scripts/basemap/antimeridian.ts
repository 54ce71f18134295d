/**
 * Natural Earth rings that cross ±180° jump from one edge of the world to the other. MapLibre
 * draws geometry on a plane, so such a jump becomes a streak across the whole map. These helpers
 * cut lines and polygons at the antimeridian so that every piece lies within [-180, 180].
 */

export type Position = [number, number];
export type Ring = Position[];
export type PolygonRings = Ring[];

const HALF_TURN = 180;
const TURN = 360;

/** Cut a line wherever a segment jumps across ±180°, ending one piece and starting the next on the edge. */
export function splitLineAtAntimeridian(line: readonly Position[]): Position[][] {
  const pieces: Position[][] = [];
  let current: Position[] = [];
  for (let i = 0; i < line.length; i++) {
    const point = line[i] as Position;
    const previous = line[i - 1];
    if (previous && Math.abs(point[0] - previous[0]) > HALF_TURN) {
      const eastward = point[0] < previous[0];
      const edge = eastward ? HALF_TURN : -HALF_TURN;
      const unwrappedX = point[0] + (eastward ? TURN : -TURN);
      const t = (edge - previous[0]) / (unwrappedX - previous[0]);
      const lat = previous[1] + t * (point[1] - previous[1]);
      current.push([edge, lat]);
      pieces.push(current);
      current = [[-edge, lat]];
    }
    current.push(point);
  }
  pieces.push(current);
  return pieces.filter((piece) => piece.length >= 2 && !isDegenerateLine(piece));
}

function isDegenerateLine(line: readonly Position[]): boolean {
  const first = line[0] as Position;
  return line.every((p) => p[0] === first[0] && p[1] === first[1]);
}

/**
 * Make a ring's longitudes continuous (no jump over 180°). Returns the shift between its last and
 * first point: 0 for an ordinary ring, ±360 for a ring that goes once around a pole.
 */
function unwrapRing(ring: readonly Position[]): { ring: Ring; turn: number } {
  const out: Ring = [];
  let offset = 0;
  for (let i = 0; i < ring.length; i++) {
    const point = ring[i] as Position;
    const previous = ring[i - 1];
    if (previous) {
      const dx = point[0] - previous[0];
      if (dx > HALF_TURN) offset -= TURN;
      else if (dx < -HALF_TURN) offset += TURN;
    }
    out.push([point[0] + offset, point[1]]);
  }
  return { ring: out, turn: offset };
}

/** A ring that circles a pole (Antarctica) is closed by running along the map's edge through that pole. */
function closeAroundPole(ring: Ring): Ring {
  const first = ring[0] as Position;
  const last = ring[ring.length - 1] as Position;
  const meanLat = ring.reduce((sum, p) => sum + p[1], 0) / ring.length;
  const poleLat = meanLat < 0 ? -90 : 90;
  return [...ring, [last[0], poleLat], [first[0], poleLat], [first[0], first[1]]];
}

/** Sutherland–Hodgman against one vertical half-plane; keeps the side where `inside(x)` holds. */
function clipAgainst(ring: readonly Position[], edgeX: number, keepGreater: boolean): Ring {
  const out: Ring = [];
  const inside = (p: Position) => (keepGreater ? p[0] >= edgeX : p[0] <= edgeX);
  const crossing = (a: Position, b: Position): Position => {
    const t = (edgeX - a[0]) / (b[0] - a[0]);
    return [edgeX, a[1] + t * (b[1] - a[1])];
  };
  for (let i = 0; i < ring.length; i++) {
    const current = ring[i] as Position;
    const previous = ring[(i + ring.length - 1) % ring.length] as Position;
    if (inside(current)) {
      if (!inside(previous)) out.push(crossing(previous, current));
      out.push(current);
    } else if (inside(previous)) {
      out.push(crossing(previous, current));
    }
  }
  return out;
}

function openRing(ring: readonly Position[]): Ring {
  const first = ring[0];
  const last = ring[ring.length - 1];
  const closed = first && last && first[0] === last[0] && first[1] === last[1];
  return closed ? ring.slice(0, -1) : [...ring];
}

function closeRing(ring: Ring): Ring {
  return ring.length > 0 ? [...ring, [(ring[0] as Position)[0], (ring[0] as Position)[1]]] : ring;
}

/** Twice the signed planar area of a closed ring (shoelace). */
export function ringArea2(ring: readonly Position[]): number {
  let sum = 0;
  for (let i = 1; i < ring.length; i++) {
    const a = ring[i - 1] as Position;
    const b = ring[i] as Position;
    sum += a[0] * b[1] - b[0] * a[1];
  }
  return sum;
}

function clipToStrip(ring: readonly Position[], strip: number): Ring | undefined {
  const lo = -HALF_TURN + strip * TURN;
  const hi = HALF_TURN + strip * TURN;
  const clipped = clipAgainst(clipAgainst(openRing(ring), lo, true), hi, false);
  if (clipped.length < 3) return undefined;
  const shifted = closeRing(clipped.map(([x, y]): Position => [x - strip * TURN, y]));
  return Math.abs(ringArea2(shifted)) > 1e-12 ? shifted : undefined;
}

/**
 * Split one polygon (outer ring first, then holes) at ±180°. A polygon that does not cross comes
 * back unchanged; one that crosses becomes one polygon per side; one that circles a pole is closed
 * through the pole so that it fills the right side of its coastline.
 */
export function splitPolygonAtAntimeridian(rings: readonly (readonly Position[])[]): PolygonRings[] {
  const usable = rings.filter((ring) => ring.length >= 4);
  if (usable.length === 0 || usable[0] !== rings[0]) return [];
  const unwrapped = usable.map(unwrapRing);
  if (
    unwrapped.every(({ ring, turn }) => turn === 0 && ring.every(([x]) => x >= -HALF_TURN && x <= HALF_TURN))
  ) {
    return [usable.map((ring) => ring.map(([x, y]): Position => [x, y]))];
  }
  const { shell, holes } = shellAndHoles(unwrapped);
  const xs = shell.map((p) => p[0]);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const holeRings = holes.map((hole) => alignTo(hole, minX, maxX));
  const firstStrip = Math.floor((minX + HALF_TURN) / TURN);
  const lastStrip = Math.ceil((maxX + HALF_TURN) / TURN) - 1;
  const pieces: PolygonRings[] = [];
  for (let strip = firstStrip; strip <= lastStrip; strip++) {
    const piece = clipToStrip(shell, strip);
    if (!piece) continue;
    const pieceHoles = holeRings.map((hole) => clipToStrip(hole, strip)).filter((hole) => hole !== undefined);
    pieces.push([piece, ...pieceHoles]);
  }
  return pieces;
}

/**
 * On a sphere a polygon around a pole may be written as "between two rings that circle the pole"
 * (Natural Earth's Antarctica: a tiny ring at -89.999° and the coastline). On the plane, each such
 * ring is closed through the pole and the largest one becomes the shell.
 */
function shellAndHoles(unwrapped: { ring: Ring; turn: number }[]): { shell: Ring; holes: Ring[] } {
  const [outer, ...rest] = unwrapped as [{ ring: Ring; turn: number }, ...{ ring: Ring; turn: number }[]];
  if (unwrapped.every(({ turn }) => turn === 0))
    return { shell: outer.ring, holes: rest.map(({ ring }) => ring) };
  const closed = unwrapped.map(({ ring, turn }) => ({
    ring: turn === 0 ? ring : closeAroundPole(ring),
    polar: turn !== 0,
  }));
  const polar = closed
    .filter((entry) => entry.polar)
    .sort((a, b) => Math.abs(ringArea2(b.ring)) - Math.abs(ringArea2(a.ring)));
  const shell = (polar[0] as { ring: Ring }).ring;
  return { shell, holes: closed.filter((entry) => entry.ring !== shell).map(({ ring }) => ring) };
}

/** Shift a hole by whole turns so that it lies within its (unwrapped) shell's longitude span. */
function alignTo(ring: Ring, minX: number, maxX: number): Ring {
  const x = (ring[0] as Position)[0];
  for (const shift of [0, TURN, -TURN]) {
    if (x + shift >= minX && x + shift <= maxX) return ring.map(([px, py]): Position => [px + shift, py]);
  }
  return ring;
}
