import type { Geometry } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import {
  lineFromVertices,
  moveVertex,
  polygonFromVertices,
  translateGeometry,
  verticesOf,
} from './geometry.ts';

const square: Geometry = {
  type: 'Polygon',
  coordinates: [
    [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
      [0, 0],
    ],
  ],
};

describe('geometry editing', () => {
  it('translates every position and keeps a polygon closed', () => {
    const moved = translateGeometry(square, 10, 5);
    expect(moved).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [10, 5],
          [11, 5],
          [11, 6],
          [10, 6],
          [10, 5],
        ],
      ],
    });
  });

  it('clamps instead of wrapping past the antimeridian and the poles', () => {
    expect(translateGeometry({ type: 'Point', coordinates: [179, 84] }, 5, 5)).toEqual({
      type: 'Point',
      coordinates: [180, 85],
    });
  });

  it("lists a polygon's vertices without its closing duplicate", () => {
    expect(verticesOf(square).map((v) => v.index)).toEqual([0, 1, 2, 3]);
    expect(verticesOf({ type: 'Point', coordinates: [0, 0] })).toEqual([]);
  });

  it('moves the closing position together with the first vertex', () => {
    const moved = moveVertex(square, { ring: 0, index: 0 }, [-1, -1]);
    expect(moved.type === 'Polygon' && moved.coordinates[0]?.[0]).toEqual([-1, -1]);
    expect(moved.type === 'Polygon' && moved.coordinates[0]?.[4]).toEqual([-1, -1]);
  });

  it('builds lines and polygons only from enough clicks', () => {
    expect(lineFromVertices([[0, 0]])).toBeUndefined();
    expect(
      lineFromVertices([
        [0, 0],
        [1, 1],
      ])?.type,
    ).toBe('LineString');
    expect(
      polygonFromVertices([
        [0, 0],
        [1, 0],
      ]),
    ).toBeUndefined();
    expect(
      polygonFromVertices([
        [0, 0],
        [1, 0],
        [1, 1],
      ]),
    ).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
      ],
    });
  });
});
