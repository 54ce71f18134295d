/** Parse hex typed by a person: pairs of digits, optionally separated by spaces, commas or `0x`. */
export function parseHex(input: string): { ok: true; bytes: Uint8Array } | { ok: false; error: string } {
  const digits = input.replace(/0x/gi, '').replace(/[\s,:]/g, '');
  if (!/^[0-9a-f]*$/i.test(digits)) return { ok: false, error: 'only hex digits 0-9 and a-f' };
  if (digits.length % 2 !== 0) return { ok: false, error: 'an odd number of hex digits' };
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return { ok: true, bytes };
}

/** Bytes as spaced hex, cut after `max` bytes with the remainder counted. */
export function toHex(bytes: Uint8Array, max = 64): string {
  const shown = Array.from(bytes.subarray(0, max), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > max ? `${shown} … (+${bytes.length - max} bytes)` : shown;
}

/** Validate the URL of an echo server: ws:// or wss:// only, since a browser WebSocket takes nothing else. */
export function parseSocketUrl(input: string): { ok: true; url: string } | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return { ok: false, error: 'not a URL: write it like ws://host:port/path' };
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    return { ok: false, error: 'use a ws:// or wss:// URL' };
  }
  return { ok: true, url: url.toString() };
}

/** What RFC 6455 §7.4.1 calls each close code a person is likely to see. */
export function describeCloseCode(code: number): string {
  const names: Record<number, string> = {
    1000: 'normal closure',
    1001: 'going away',
    1002: 'protocol error',
    1003: 'unsupported data',
    1005: 'no status received',
    1006: 'abnormal closure (no close frame)',
    1007: 'invalid payload data',
    1008: 'policy violation',
    1009: 'message too big',
    1011: 'internal error',
    1012: 'service restart',
    1013: 'try again later',
    1015: 'TLS handshake failure',
  };
  return names[code] ?? (code >= 4000 ? 'application code' : 'unknown');
}
