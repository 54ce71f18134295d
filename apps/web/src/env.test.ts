import { describe, expect, it } from 'vitest';
import { parseWebEnv } from './env.ts';

describe('parseWebEnv', () => {
  it('defaults to a local realtime service and the embedded basemap', () => {
    expect(parseWebEnv({})).toEqual({
      REALTIME_INTERNAL_URL: 'http://127.0.0.1:4000',
      BASEMAP_FALLBACK_MS: 8000,
      GEOCODER_KIND: 'photon',
    });
  });

  it('treats blank values as unset', () => {
    expect(parseWebEnv({ MAP_STYLE_URL: '  ', MERIDIAN_PUBLIC_REALTIME_URL: '' })).toEqual({
      REALTIME_INTERNAL_URL: 'http://127.0.0.1:4000',
      BASEMAP_FALLBACK_MS: 8000,
      GEOCODER_KIND: 'photon',
    });
  });

  it('reads basemap and geocoder settings', () => {
    const env = parseWebEnv({
      MAP_STYLE_URL: 'offline',
      MAP_STYLES: 'Satellite=https://sat.example/style.json',
      BASEMAP_FALLBACK_MS: '1500',
      GEOCODER_URL: 'http://127.0.0.1:2322',
      GEOCODER_KIND: 'nominatim',
    });
    expect(env.MAP_STYLE_URL).toBe('offline');
    expect(env.MAP_STYLES).toEqual([{ name: 'Satellite', url: 'https://sat.example/style.json' }]);
    expect(env.BASEMAP_FALLBACK_MS).toBe(1500);
    expect(env.GEOCODER_KIND).toBe('nominatim');
    expect(() => parseWebEnv({ MAP_STYLES: 'Sat=ftp://x' })).toThrow(/MAP_STYLES: entry 1/);
    expect(() => parseWebEnv({ GEOCODER_KIND: 'google' })).toThrow(/GEOCODER_KIND/);
  });

  it('names the variable that is wrong', () => {
    expect(() => parseWebEnv({ MERIDIAN_PUBLIC_REALTIME_URL: 'http://example.test' })).toThrow(
      /MERIDIAN_PUBLIC_REALTIME_URL: expected a ws:\/\/ or wss:\/\/ URL/,
    );
    expect(() => parseWebEnv({ REALTIME_INTERNAL_URL: 'not a url' })).toThrow(/REALTIME_INTERNAL_URL/);
  });
});
