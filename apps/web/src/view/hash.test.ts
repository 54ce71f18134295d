import { describe, expect, it } from 'vitest';
import { formatViewHash, parseViewHash, wrapLongitude } from './hash.ts';

describe('view hash', () => {
  it('parses #zoom/lat/lng', () => {
    expect(parseViewHash('#12.5/48.8566/2.3522')).toEqual({ zoom: 12.5, lat: 48.8566, lng: 2.3522 });
  });

  it('ignores trailing bearing and pitch', () => {
    expect(parseViewHash('#3/10/20/45/30')).toEqual({ zoom: 3, lat: 10, lng: 20 });
  });

  it('refuses what is not a view', () => {
    for (const hash of [
      '',
      '#',
      '#3/10',
      '#a/b/c',
      '#30/0/0',
      '#3/91/0',
      '#3/1e3/0',
      '#3/ 1/2',
      '#3/NaN/0',
    ]) {
      expect(parseViewHash(hash), hash).toBeUndefined();
    }
  });

  it('wraps longitudes past the antimeridian', () => {
    expect(parseViewHash('#2/0/190')).toEqual({ zoom: 2, lat: 0, lng: -170 });
    expect(wrapLongitude(-190)).toBe(170);
    expect(wrapLongitude(180)).toBe(180);
  });

  it('formats with precision growing with zoom and round-trips', () => {
    expect(formatViewHash({ zoom: 2, lat: 48.856613, lng: 2.352222 })).toBe('#2/48.86/2.35');
    expect(formatViewHash({ zoom: 14, lat: 48.856613, lng: 2.352222 })).toBe('#14/48.85661/2.35222');
    const view = { zoom: 9.25, lat: -33.8688, lng: 151.2093 };
    const parsed = parseViewHash(formatViewHash(view));
    expect(parsed?.zoom).toBe(9.25);
    expect(parsed?.lat).toBeCloseTo(view.lat, 3);
    expect(parsed?.lng).toBeCloseTo(view.lng, 3);
  });

  it('never writes a negative zero', () => {
    expect(formatViewHash({ zoom: 0, lat: -0.0001, lng: 0 })).toBe('#0/0/0');
  });
});
