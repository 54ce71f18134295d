import { describe, expect, it } from 'vitest';
import { publicRealtimeUrl } from './public-realtime-url.ts';

describe('publicRealtimeUrl', () => {
  it('uses the configured URL without a trailing slash', () => {
    expect(publicRealtimeUrl('wss://rt.example.test/', { host: 'a:3000', proto: 'http' })).toBe(
      'wss://rt.example.test',
    );
  });

  it("derives ws:// on port 4000 from the page's host", () => {
    expect(publicRealtimeUrl(undefined, { host: '192.0.2.7:3000', proto: 'http' })).toBe(
      'ws://192.0.2.7:4000',
    );
    expect(publicRealtimeUrl(undefined, { host: 'maps.example.test', proto: 'https' })).toBe(
      'wss://maps.example.test:4000',
    );
  });

  it('keeps IPv6 hosts bracketed and reads the first forwarded proto', () => {
    expect(publicRealtimeUrl(undefined, { host: '[::1]:3000', proto: 'https, http' })).toBe(
      'wss://[::1]:4000',
    );
  });

  it('falls back to loopback when the request names no host', () => {
    expect(publicRealtimeUrl(undefined, { host: null, proto: null })).toBe('ws://127.0.0.1:4000');
  });
});
