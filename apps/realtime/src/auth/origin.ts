import type { Config } from '../env.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a browser page from `origin` may open a socket. Browsers always send Origin on a
 * WebSocket upgrade, so an absent one means a non-browser client (a service, a test, a bench),
 * which the token alone authorises: Origin only guards against cross-site WebSocket hijacking.
 */
export function createOriginPolicy(allowed: Config['allowedOrigins']): (origin: string) => boolean {
  if (allowed === '*') return () => true;
  if (allowed === 'loopback') {
    return (origin) => {
      if (origin === '') return true;
      try {
        const url = new URL(origin);
        return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname);
      } catch {
        return false;
      }
    };
  }
  const set = new Set(allowed);
  return (origin) => origin === '' || set.has(origin);
}
