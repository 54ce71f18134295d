import { describe, expect, it } from 'vitest';
import {
  type Position,
  ringArea2,
  splitLineAtAntimeridian,
  splitPolygonAtAntimeridian,
} from './antimeridian.ts';

const allWithin = (points: Position[]) => points.every(([x]) => x >= -180 && x <= 180);
/** No segment crosses the map, except along a pole where the map's edge is. */
const noJumps = (points: Position[]) =>
  points.every((p, i) => {
    const previous = points[i - 1];
    if (!previous) return true;
    const alongPole = Math.abs(p[1]) === 90 && p[1] === previous[1];
    return alongPole || Math.abs(p[0] - previous[0]) <= 180;
  });

describe('splitLineAtAntimeridian', () => {
  it('leaves a line that does not cross alone', () => {
    expect(
      splitLineAtAntimeridian([
        [0, 0],
        [10, 10],
      ]),
    ).toEqual([
      [
        [0, 0],
        [10, 10],
      ],
    ]);
  });

  it('cuts an eastward crossing at +180 and resumes at -180 on the same latitude', () => {
    const pieces = splitLineAtAntimeridian([
      [170, 0],
      [-170, 10],
    ]);
    expect(pieces).toEqual([
      [
        [170, 0],
        [180, 5],
      ],
      [
        [-180, 5],
        [-170, 10],
      ],
    ]);
  });

  it('cuts a westward crossing too, several times', () => {
    const pieces = splitLineAtAntimeridian([
      [-175, 0],
      [175, 0],
      [-175, 0],
    ]);
    expect(pieces).toHaveLength(3);
    for (const piece of pieces) expect(noJumps(piece)).toBe(true);
  });

  it('drops zero-length pieces where a line touches the edge', () => {
    const pieces = splitLineAtAntimeridian([
      [170, 60],
      [180, 65],
      [-180, 65],
      [-170, 66],
    ]);
    expect(pieces.every((piece) => piece.length >= 2)).toBe(true);
    expect(pieces.flat().every(([x]) => Math.abs(x) <= 180)).toBe(true);
  });
});

describe('splitPolygonAtAntimeridian', () => {
  it('returns a polygon that does not cross unchanged', () => {
    const square: Position[] = [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
      [0, 0],
    ];
    expect(splitPolygonAtAntimeridian([square])).toEqual([[square]]);
  });

  it('splits an island straddling 180° into an east and a west piece with the same total area', () => {
    // 170°E..170°W written as Natural Earth does, jumping from 180 to -180.
    const island: Position[] = [
      [170, 0],
      [-170, 0],
      [-170, 10],
      [170, 10],
      [170, 0],
    ];
    const pieces = splitPolygonAtAntimeridian([island]);
    expect(pieces).toHaveLength(2);
    for (const [outer] of pieces) {
      expect(allWithin(outer as Position[])).toBe(true);
      expect(noJumps(outer as Position[])).toBe(true);
    }
    const total = pieces.reduce((sum, [outer]) => sum + Math.abs(ringArea2(outer as Position[])) / 2, 0);
    expect(total).toBeCloseTo(200, 6);
  });

  it('closes a ring around the south pole through the pole, so it fills towards the pole', () => {
    const antarctica: Position[] = [
      [-180, -70],
      [-90, -75],
      [0, -70],
      [90, -72],
      [179, -70],
      [-180, -70],
    ];
    const pieces = splitPolygonAtAntimeridian([antarctica]);
    expect(pieces).toHaveLength(1);
    const outer = (pieces[0] as Position[][])[0] as Position[];
    expect(outer.some(([, y]) => y === -90)).toBe(true);
    expect(allWithin(outer)).toBe(true);
    expect(noJumps(outer)).toBe(true);
  });

  it('turns "between a ring at the pole and the coast" into a shell around the pole', () => {
    const poleRing: Position[] = [
      [-180, -89.999],
      [178, -89.999],
      [90, -89.999],
      [0, -89.999],
      [-90, -89.999],
      [-180, -89.999],
    ];
    const coast: Position[] = [
      [-180, -70],
      [-90, -75],
      [0, -70],
      [90, -72],
      [179, -70],
      [-180, -70],
    ];
    const pieces = splitPolygonAtAntimeridian([poleRing, coast]);
    const [outer] = pieces[0] as Position[][];
    expect(Math.min(...(outer as Position[]).map(([, y]) => y))).toBe(-90);
    expect(Math.max(...(outer as Position[]).map(([, y]) => y))).toBeCloseTo(-70, 6);
    expect(Math.abs(ringArea2(outer as Position[])) / 2).toBeGreaterThan(360 * 15);
  });

  it('keeps a hole with the piece it lies in', () => {
    const outer: Position[] = [
      [170, 0],
      [-170, 0],
      [-170, 10],
      [170, 10],
      [170, 0],
    ];
    const hole: Position[] = [
      [-178, 2],
      [-175, 2],
      [-175, 4],
      [-178, 4],
      [-178, 2],
    ];
    const pieces = splitPolygonAtAntimeridian([outer, hole]);
    const withHole = pieces.filter((piece) => piece.length === 2);
    expect(withHole).toHaveLength(1);
    const [west] = withHole[0] as Position[][];
    expect((west as Position[]).every(([x]) => x <= -170 + 1e-9)).toBe(true);
  });
});
