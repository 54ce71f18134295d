import { describe, expect, it } from 'vitest';
import { expiresAtMs } from './session-expiry.ts';

describe('expiresAtMs', () => {
  it('accepts epoch milliseconds, epoch seconds and ISO dates', () => {
    expect(expiresAtMs(1_800_000_000_000)).toBe(1_800_000_000_000);
    expect(expiresAtMs(1_800_000_000)).toBe(1_800_000_000_000);
    expect(expiresAtMs('2027-01-15T10:00:00.000Z')).toBe(Date.UTC(2027, 0, 15, 10));
  });

  it('treats an unreadable date as already expired, so a fresh token is fetched', () => {
    const before = Date.now();
    expect(expiresAtMs('soon')).toBeGreaterThanOrEqual(before);
    expect(expiresAtMs('soon')).toBeLessThanOrEqual(Date.now());
  });
});
