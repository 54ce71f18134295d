import { describe, expect, it } from 'vitest';
import { createOriginPolicy } from './origin.ts';
import { createTokenService } from './tokens.ts';

const SECRET = 'unit-test-secret-0123456789abcdefghij';

describe('tokens', () => {
  it('round-trips map id and role, and reports expiry separately from forgery', async () => {
    let now = 1_700_000_000_000;
    const tokens = createTokenService(SECRET, 60, { now: () => now });
    const { token, expiresAt } = await tokens.sign({ mapId: 'm1', role: 'view' });
    expect(expiresAt).toBe(now + 60_000);
    expect(await tokens.verify(token)).toEqual({
      ok: true,
      claims: { mapId: 'm1', role: 'view', exp: expiresAt / 1000 },
    });
    now += 61_000;
    expect(await tokens.verify(token)).toEqual({ ok: false, reason: 'expired' });
    const other = createTokenService(`${SECRET}x`, 60, { now: () => now });
    expect(await other.verify((await tokens.sign({ mapId: 'm1', role: 'edit' })).token)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await tokens.verify('not.a.jwt')).toEqual({ ok: false, reason: 'invalid' });
    expect(await tokens.verify('x'.repeat(10_000))).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('origin policy', () => {
  it('allows loopback pages by default and exact origins when configured', () => {
    const loopback = createOriginPolicy('loopback');
    expect(loopback('http://localhost:3000')).toBe(true);
    expect(loopback('http://127.0.0.1:8080')).toBe(true);
    expect(loopback('https://evil.example')).toBe(false);
    expect(loopback('')).toBe(true);
    const listed = createOriginPolicy(['https://maps.example.com']);
    expect(listed('https://maps.example.com')).toBe(true);
    expect(listed('https://maps.example.com.evil.example')).toBe(false);
  });
});
