import { expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.ts';

it('allows a burst, refuses beyond it, and refills with time', () => {
  const bucket = new TokenBucket(3, 10);
  let state = TokenBucket.FULL;
  const take = (nowMs: number) => {
    const next = bucket.take(state, nowMs);
    if (next === null) return false;
    state = next;
    return true;
  };
  expect([take(0), take(0), take(0), take(0)]).toEqual([true, true, true, false]);
  expect(take(50)).toBe(false);
  expect(take(100)).toBe(true);
  expect(take(10_000) && take(10_000) && take(10_000)).toBe(true);
  expect(take(10_000)).toBe(false);
});

it('refills fractions of a token and never beyond capacity', () => {
  const bucket = new TokenBucket(2, 4);
  let state = TokenBucket.FULL;
  const take = (nowMs: number) => {
    const next = bucket.take(state, nowMs);
    if (next === null) return false;
    state = next;
    return true;
  };
  const t0 = 1_764_000_000_000;
  expect([take(t0), take(t0), take(t0)]).toEqual([true, true, false]);
  // Half a token after 125 ms is not enough; a whole one after 250 ms is.
  expect(take(t0 + 125)).toBe(false);
  expect(take(t0 + 250)).toBe(true);
  // An hour idle refills to capacity (2), not to 14,400 tokens.
  const later = t0 + 3_600_000;
  expect([take(later), take(later), take(later)]).toEqual([true, true, false]);
});
