import { describe, expect, it } from 'vitest';
import { hashShareKey, MAP_ID_CHARS, newShareKey, randomId } from './keys.ts';

describe('randomId', () => {
  it('is 12 base62 characters by default and any asked length otherwise', () => {
    expect(randomId()).toMatch(new RegExp(`^[A-Za-z0-9]{${MAP_ID_CHARS}}$`));
    expect(randomId(40)).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  it('does not repeat and uses the whole alphabet', () => {
    const ids = Array.from({ length: 2000 }, () => randomId());
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.join('')).size).toBe(62);
  });
});

describe('share keys', () => {
  it('are at least 32 url-safe characters and differ every time', () => {
    const a = newShareKey();
    expect(a).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(newShareKey()).not.toBe(a);
  });

  it('hash to sha256 hex, never to the key itself', () => {
    expect(hashShareKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const key = newShareKey();
    expect(hashShareKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashShareKey(key)).not.toContain(key);
  });
});
