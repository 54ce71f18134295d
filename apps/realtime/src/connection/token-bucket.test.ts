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

it('charges by weight and says how long until a refused cost fits', () => {
  const bucket = new TokenBucket(10, 5);
  let state = TokenBucket.FULL;
  const take = (nowMs: number, cost: number) => {
    const next = bucket.take(state, nowMs, cost);
    if (next === null) return false;
    state = next;
    return true;
  };
  expect(take(0, 8)).toBe(true);
  expect(take(0, 3)).toBe(false);
  // One more token refills in 200 ms: that is the wait the refusal announces, and it is right.
  expect(bucket.waitMs(state, 0, 3)).toBe(200);
  expect(take(199, 3)).toBe(false);
  expect(take(200, 3)).toBe(true);
  expect(bucket.waitMs(state, 200, 1)).toBe(200);
  // A cost above the capacity takes the whole bucket, so it is possible once the bucket is full.
  expect(take(200, 50)).toBe(false);
  expect(bucket.waitMs(state, 200, 50)).toBe(2000);
  expect(take(2199, 50)).toBe(false);
  expect(take(2200, 50)).toBe(true);
  expect(take(2200, 1)).toBe(false);
});
