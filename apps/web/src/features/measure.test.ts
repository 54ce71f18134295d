import { describe, expect, it } from 'vitest';
import { formatArea, formatLength, measureGeometry, pathMeters } from './measure.ts';

describe('measureGeometry', () => {
  it('measures one degree of longitude on the equator as about 111.2 km', () => {
    const m = measureGeometry({
      type: 'LineString',
      coordinates: [
        [0, 0],
        [1, 0],
      ],
    });
    expect(m?.kind).toBe('length');
    // 2πR/360 with turf's mean Earth radius 6,371,008.8 m.
    expect(m?.kind === 'length' ? m.meters : 0).toBeCloseTo((2 * Math.PI * 6_371_008.8) / 360, 0);
  });

  it('measures a square degree at the equator as about 12,364 km²', () => {
    const m = measureGeometry({
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
    });
    if (m?.kind !== 'area') throw new Error('expected an area');
    expect(m.squareMeters / 1e6).toBeGreaterThan(12_300);
    expect(m.squareMeters / 1e6).toBeLessThan(12_400);
    expect(m.perimeterMeters / 1000).toBeCloseTo(444.8, 0);
  });

  it('gives nothing for a marker and zero for a path of one point', () => {
    expect(measureGeometry({ type: 'Point', coordinates: [2, 48] })).toBeNull();
    expect(pathMeters([[2, 48]])).toBe(0);
  });
});

describe('formatting', () => {
  it('uses units a person reads at a glance', () => {
    expect(formatLength(8.25)).toBe('8.3 m');
    expect(formatLength(850.4)).toBe('850 m');
    expect(formatLength(12_345)).toBe('12.3 km');
    expect(formatLength(1_204_000)).toBe('1,204 km');
    expect(formatArea(420)).toBe('420 m²');
    expect(formatArea(32_000)).toBe('3.20 ha');
    expect(formatArea(15_700_000)).toBe('15.70 km²');
  });
});
