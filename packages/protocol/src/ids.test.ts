import { describe, expect, it } from 'vitest';
import { BASE62_ALPHABET, randomId } from './ids.ts';

describe('randomId', () => {
  it('is 16 base62 characters by default and any asked length otherwise', () => {
    expect(randomId()).toMatch(/^[0-9A-Za-z]{16}$/);
    expect(randomId(12)).toMatch(/^[0-9A-Za-z]{12}$/);
    expect(randomId(40)).toMatch(/^[0-9A-Za-z]{40}$/);
  });

  it('draws every character equally often (no modulo bias toward the first eight)', () => {
    const counts = new Map<string, number>([...BASE62_ALPHABET].map((c) => [c, 0]));
    for (let i = 0; i < 12_500; i++) for (const c of randomId()) counts.set(c, (counts.get(c) ?? 0) + 1);
    const values = [...BASE62_ALPHABET].map((c) => counts.get(c) ?? 0);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // 200,000 characters: ~3,226 per character, so the mean of 8 characters has a standard deviation
    // near 20; `byte % 62` would put the first eight 25% (~800) above the rest.
    const ratio = mean(values.slice(0, 8)) / mean(values.slice(8));
    expect(Math.abs(ratio - 1)).toBeLessThan(0.05);
  });
});
