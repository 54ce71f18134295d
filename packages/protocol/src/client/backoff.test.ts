import { expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.ts';

it('grows exponentially, is capped, and jitters between half and the full ceiling', () => {
  const options = { initialMs: 100, maxMs: 1000, factor: 2 };
  expect(backoffDelayMs(0, options, () => 1)).toBe(100);
  expect(backoffDelayMs(0, options, () => 0)).toBe(50);
  expect(backoffDelayMs(3, options, () => 1)).toBe(800);
  expect(backoffDelayMs(10, options, () => 1)).toBe(1000);
  const samples = new Set(Array.from({ length: 20 }, () => backoffDelayMs(2, options)));
  expect(samples.size).toBeGreaterThan(1);
});
