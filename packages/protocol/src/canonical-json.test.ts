import { describe, expect, it } from 'vitest';
import { canonicalJson } from './state.ts';

// canonicalJson is also how the op log tells a retried op (same payload) from an op id reused for
// a different op, after Postgres jsonb has reordered the stored payload's keys.
const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

describe('canonicalJson as JSON equality', () => {
  it('ignores object key order, as jsonb does', () => {
    expect(same({ a: 1, b: { c: [1, 2], d: null } }, { b: { d: null, c: [1, 2] }, a: 1 })).toBe(true);
  });

  it('treats a key set to undefined as absent', () => {
    expect(same({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(same({ a: 1 }, { a: 1, b: undefined })).toBe(true);
  });

  it('tells null from absent, and distinguishes values, types and array order', () => {
    expect(same({ a: null }, {})).toBe(false);
    expect(same({ a: 1 }, { a: 2 })).toBe(false);
    expect(same({ a: 1 }, { a: '1' })).toBe(false);
    expect(same([1, 2], [2, 1])).toBe(false);
    expect(same([1], [1, 1])).toBe(false);
    expect(same([], {})).toBe(false);
    expect(same({ a: 1 }, { b: 1 })).toBe(false);
    expect(same(null, {})).toBe(false);
  });
});
