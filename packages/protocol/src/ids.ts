import { customAlphabet } from 'nanoid';

/** Letters and digits only: ids sit in URLs, Redis channel names and map links unescaped. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A random base62 id of `length` characters (16 ≈ 95 bits), from the platform CSPRNG (browsers
 * and Node alike). nanoid's customAlphabet draws with a mask and rejects out-of-range values, so
 * every character is equally likely (`byte % 62` would favour the first eight).
 */
export const randomId: (length?: number) => string = customAlphabet(BASE62_ALPHABET, 16);
