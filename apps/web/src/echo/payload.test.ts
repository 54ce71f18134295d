import { describe, expect, it } from 'vitest';
import { describeCloseCode, parseHex, parseSocketUrl, toHex } from './payload.ts';

describe('echo payload helpers', () => {
  it('parses hex with spaces, commas and 0x prefixes', () => {
    expect(parseHex('00 ff, 0x10:7f')).toEqual({ ok: true, bytes: new Uint8Array([0, 255, 16, 127]) });
    expect(parseHex('')).toEqual({ ok: true, bytes: new Uint8Array() });
  });

  it('refuses odd lengths and non-hex characters with a reason', () => {
    expect(parseHex('abc')).toMatchObject({ ok: false, error: expect.stringMatching(/odd/) });
    expect(parseHex('zz')).toMatchObject({ ok: false, error: expect.stringMatching(/hex digits/) });
  });

  it('formats bytes as hex and says how many were cut', () => {
    expect(toHex(new Uint8Array([1, 171]))).toBe('01 ab');
    expect(toHex(new Uint8Array(5), 2)).toBe('00 00 … (+3 bytes)');
  });

  it('accepts only ws:// and wss:// URLs', () => {
    expect(parseSocketUrl(' wss://echo.example/echo ')).toEqual({ ok: true, url: 'wss://echo.example/echo' });
    expect(parseSocketUrl('http://x')).toMatchObject({ ok: false });
    expect(parseSocketUrl('nope')).toMatchObject({ ok: false });
  });

  it('names close codes', () => {
    expect(describeCloseCode(1009)).toBe('message too big');
    expect(describeCloseCode(4008)).toBe('application code');
  });
});
