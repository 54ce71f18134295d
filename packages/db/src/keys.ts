import { createHash, randomBytes } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Bytes at or above this would make `byte % 62` favour the first letters: they are redrawn. */
const UNBIASED_LIMIT = 256 - (256 % BASE62.length);

export const MAP_ID_CHARS = 12;
/** 32 random bytes: 43 url-safe characters, far beyond guessing. */
const SHARE_KEY_BYTES = 32;

/** A random base62 id of `length` characters (12 chars ≈ 71 bits). */
export function randomId(length: number = MAP_ID_CHARS): string {
  let id = '';
  while (id.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < UNBIASED_LIMIT && id.length < length) id += BASE62[byte % BASE62.length];
    }
  }
  return id;
}

/** A new share-key secret, url-safe base64. It is shown once; only its hash is stored. */
export function newShareKey(): string {
  return randomBytes(SHARE_KEY_BYTES).toString('base64url');
}

/** How a share key is stored and looked up: sha256, lowercase hex. */
export function hashShareKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
