import { createHmac, timingSafeEqual } from 'node:crypto';

/** Algorithms W3C WebSub §8 allows in X-Hub-Signature; sha1 only because older hubs still send it. */
const ALGORITHMS = new Set(['sha1', 'sha256', 'sha384', 'sha512']);

export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'malformed' | 'algorithm' | 'mismatch' };

/**
 * Check a content distribution request's `X-Hub-Signature: method=hex` against the body and the
 * subscription's secret (WebSub §8). A subscriber with a secret must ignore a delivery whose
 * signature is absent or wrong, while still answering 2xx so the hub does not retry it.
 */
export function verifyHubSignature(header: string | undefined, body: Buffer, secret: string): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  const match = /^([a-z0-9]+)=([0-9a-fA-F]+)$/.exec(header.trim());
  if (!match?.[1] || !match[2]) return { ok: false, reason: 'malformed' };
  const algorithm = match[1].toLowerCase();
  if (!ALGORITHMS.has(algorithm)) return { ok: false, reason: 'algorithm' };
  const expected = createHmac(algorithm, secret).update(body).digest();
  const given = Buffer.from(match[2], 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'mismatch' };
  return { ok: true };
}

/** What a hub writes (used by the test hub, and handy for checking a hub by hand). */
export function signHubBody(body: Buffer, secret: string, algorithm = 'sha256'): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest('hex')}`;
}
