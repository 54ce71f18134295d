import { createSigner } from 'fast-jwt';
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
    expect(tokens.verify(token)).toEqual({
      ok: true,
      claims: { mapId: 'm1', role: 'view', exp: expiresAt / 1000 },
    });
    now += 61_000;
    expect(tokens.verify(token)).toEqual({ ok: false, reason: 'expired' });
    const other = createTokenService(`${SECRET}x`, 60, { now: () => now });
    expect(other.verify((await tokens.sign({ mapId: 'm1', role: 'edit' })).token)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(tokens.verify('not.a.jwt')).toEqual({ ok: false, reason: 'invalid' });
    expect(tokens.verify('x'.repeat(10_000))).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('token verification', () => {
  const now = 1_700_000_000_000;
  const tokens = createTokenService(SECRET, 60, { now: () => now });
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const INVALID = { ok: false, reason: 'invalid' };

  it('refuses alg none, tampered claims, a non-canonical signature and a foreign issuer', async () => {
    const { token } = await tokens.sign({ mapId: 'm1', role: 'view' });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const none = `${b64({ alg: 'none' })}.${payload}.`;
    const escalated = `${header}.${b64({ ...claims, role: 'edit' })}.${signature}`;
    const padded = `${header}.${payload}.${signature}*`;
    expect([none, escalated, padded].map((t) => tokens.verify(t).ok)).toEqual([false, false, false]);
    const sign = (options: { iss?: string; aud?: string; algorithm?: 'HS256' | 'HS512' }, extra = {}) =>
      createSigner({
        key: SECRET,
        algorithm: options.algorithm ?? 'HS256',
        iss: options.iss,
        aud: options.aud,
      })({
        mapId: 'm1',
        role: 'edit',
        exp: now / 1000 + 60,
        ...extra,
      });
    expect(tokens.verify(sign({ iss: 'meridian', aud: 'meridian-realtime' })).ok).toBe(true);
    expect(tokens.verify(sign({ iss: 'someone-else', aud: 'meridian-realtime' }))).toEqual(INVALID);
    expect(tokens.verify(sign({ iss: 'meridian', aud: 'another-service' }))).toEqual(INVALID);
    expect(tokens.verify(sign({ aud: 'meridian-realtime' }))).toEqual(INVALID);
    expect(tokens.verify(sign({ iss: 'meridian' }))).toEqual(INVALID);
    expect(tokens.verify(sign({ iss: 'meridian', aud: 'meridian-realtime', algorithm: 'HS512' }))).toEqual(
      INVALID,
    );
    expect(tokens.verify(sign({ iss: 'meridian', aud: 'meridian-realtime' }, { role: 'admin' }))).toEqual(
      INVALID,
    );
  });

  it('refuses a token that asks for a critical header extension', async () => {
    const { token } = await tokens.sign({ mapId: 'm1', role: 'view' });
    const [, payload] = token.split('.') as [string, string, string];
    const header = b64({ alg: 'HS256', typ: 'JWT', crit: ['b64'], b64: false });
    const { createHmac } = await import('node:crypto');
    const signature = createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url');
    expect(tokens.verify(`${header}.${payload}.${signature}`)).toEqual(INVALID);
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
