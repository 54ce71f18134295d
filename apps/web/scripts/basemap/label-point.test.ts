import { describe, expect, it } from 'vitest';
import type { Position } from './antimeridian.ts';
import { approximateArea, labelPoint, ringCentroid } from './label-point.ts';

const inside = (point: Position, ring: readonly Position[]) => {
  let result = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i] as Position;
    const b = ring[j] as Position;
    if (
      a[1] > point[1] !== b[1] > point[1] &&
      point[0] < ((b[0] - a[0]) * (point[1] - a[1])) / (b[1] - a[1]) + a[0]
    ) {
      result = !result;
    }
  }
  return result;
};

describe('labelPoint', () => {
  it('puts a square label at its centre', () => {
    expect(
      labelPoint([
        [
          [0, 0],
          [4, 0],
          [4, 4],
          [0, 4],
          [0, 0],
        ],
      ]),
    ).toEqual([2, 2]);
  });

  it('stays inside a C-shaped polygon whose centroid is outside', () => {
    const c: Position[] = [
      [0, 0],
      [10, 0],
      [10, 2],
      [2, 2],
      [2, 8],
      [10, 8],
      [10, 10],
      [0, 10],
      [0, 0],
    ];
    const centroid = ringCentroid(c);
    expect(inside(centroid, c)).toBe(false);
    const point = labelPoint([c]) as Position;
    expect(inside(point, c)).toBe(true);
  });

  it('avoids a hole in the middle', () => {
    const outer: Position[] = [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
      [0, 0],
    ];
    const hole: Position[] = [
      [3, 3],
      [7, 3],
      [7, 7],
      [3, 7],
      [3, 3],
    ];
    const point = labelPoint([outer, hole]) as Position;
    expect(inside(point, outer) && !inside(point, hole)).toBe(true);
  });
});

describe('approximateArea', () => {
  it('subtracts holes and shrinks towards the poles', () => {
    const equator: Position[] = [
      [0, -1],
      [2, -1],
      [2, 1],
      [0, 1],
      [0, -1],
    ];
    const arctic: Position[] = [
      [0, 69],
      [2, 69],
      [2, 71],
      [0, 71],
      [0, 69],
    ];
    expect(approximateArea([equator])).toBeCloseTo(4, 6);
    expect(approximateArea([arctic])).toBeLessThan(2);
  });
});
