import { expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.ts';

it('allows a burst, refuses beyond it, and refills with time', () => {
  const bucket = new TokenBucket(3, 10, 0);
  expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
  expect(bucket.take(50)).toBe(false);
  expect(bucket.take(100)).toBe(true);
  expect(bucket.take(10_000) && bucket.take(10_000) && bucket.take(10_000)).toBe(true);
  expect(bucket.take(10_000)).toBe(false);
});
