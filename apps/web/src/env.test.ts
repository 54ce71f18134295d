import { describe, expect, it } from 'vitest';
import { parseWebEnv } from './env.ts';

describe('parseWebEnv', () => {
  it('defaults to a local realtime service and the embedded basemap', () => {
    expect(parseWebEnv({})).toEqual({ REALTIME_INTERNAL_URL: 'http://127.0.0.1:4000' });
  });

  it('treats blank values as unset', () => {
    expect(parseWebEnv({ MAP_STYLE_URL: '  ', MERIDIAN_PUBLIC_REALTIME_URL: '' })).toEqual({
      REALTIME_INTERNAL_URL: 'http://127.0.0.1:4000',
    });
  });

  it('names the variable that is wrong', () => {
    expect(() => parseWebEnv({ MERIDIAN_PUBLIC_REALTIME_URL: 'http://example.test' })).toThrow(
      /MERIDIAN_PUBLIC_REALTIME_URL: expected a ws:\/\/ or wss:\/\/ URL/,
    );
    expect(() => parseWebEnv({ REALTIME_INTERNAL_URL: 'not a url' })).toThrow(/REALTIME_INTERNAL_URL/);
  });
});
