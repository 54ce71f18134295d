import { describe, expect, it } from 'vitest';
import { signHubBody, verifyHubSignature } from './websub-signature.ts';

const body = Buffer.from('<feed><entry/></feed>');
const secret = 'a-subscription-secret';

describe('X-Hub-Signature', () => {
  it('accepts sha256, sha1 and sha512 signatures made with the secret', () => {
    for (const algorithm of ['sha256', 'sha1', 'sha512']) {
      expect(verifyHubSignature(signHubBody(body, secret, algorithm), body, secret)).toEqual({ ok: true });
    }
  });

  it('refuses a missing, malformed, unknown-algorithm or wrong signature', () => {
    expect(verifyHubSignature(undefined, body, secret)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyHubSignature('sha256:abc', body, secret)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyHubSignature('md5=abcd', body, secret)).toEqual({ ok: false, reason: 'algorithm' });
    expect(verifyHubSignature(signHubBody(body, 'other secret'), body, secret)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    const tampered = Buffer.from('<feed><entry>x</entry></feed>');
    expect(verifyHubSignature(signHubBody(body, secret), tampered, secret)).toMatchObject({ ok: false });
  });
});
