import { describe, expect, it } from 'vitest';
import { viewportCenter, viewportOf, viewportRing } from './viewport.ts';

const camera = (west: number, south: number, east: number, north: number, zoom = 3) => ({
  getBounds: () => ({
    getWest: () => west,
    getSouth: () => south,
    getEast: () => east,
    getNorth: () => north,
  }),
  getZoom: () => zoom,
  getBearing: () => 0,
  getPitch: () => 0,
});

describe('viewports', () => {
  it('clamps what MapLibre reports to what the protocol accepts', () => {
    expect(viewportOf(camera(-500, -91, 500, 91, 0))).toEqual({
      bounds: [-360, -90, 360, 90],
      zoom: 0,
      bearing: 0,
      pitch: 0,
    });
  });

  it('finds the centre in Mercator, so following lands where the other person looks', () => {
    const [lng, lat] = viewportCenter({ bounds: [0, 0, 20, 60], zoom: 4, bearing: 0, pitch: 0 });
    expect(lng).toBe(10);
    // Halfway on screen between 0° and 60° is well north of 30°.
    expect(lat).toBeGreaterThan(35);
    expect(lat).toBeLessThan(40);
  });

  it('outlines bounds as a closed ring', () => {
    const ring = viewportRing({ bounds: [1, 2, 3, 4], zoom: 1, bearing: 0, pitch: 0 });
    expect(ring[0]).toEqual(ring[4]);
    expect(ring).toHaveLength(5);
  });
});
