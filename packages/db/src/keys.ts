import { createHash, randomBytes } from 'node:crypto';
import { randomId as base62Id } from '@meridian/protocol';

export const MAP_ID_CHARS = 12;
/** 32 random bytes: 43 url-safe characters, far beyond guessing. */
const SHARE_KEY_BYTES = 32;

/** A random base62 id of `length` characters (12 chars ≈ 71 bits): the protocol's one generator. */
export function randomId(length: number = MAP_ID_CHARS): string {
  return base62Id(length);
}

/** A new share-key secret, url-safe base64. It is shown once; only its hash is stored. */
export function newShareKey(): string {
  return randomBytes(SHARE_KEY_BYTES).toString('base64url');
}

/** How a share key is stored and looked up: sha256, lowercase hex. */
export function hashShareKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
