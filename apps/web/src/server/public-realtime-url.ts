/** Port the realtime service listens on when nothing else is configured. */
export const DEFAULT_REALTIME_PORT = 4000;

/**
 * The WebSocket base URL a browser should use. A configured URL wins; otherwise it is the host
 * the page was requested on, port 4000, with wss:// when the page itself came over https.
 */
export function publicRealtimeUrl(
  configured: string | undefined,
  request: { host: string | null; proto: string | null },
): string {
  if (configured) return configured.replace(/\/+$/, '');
  const secure = (request.proto ?? '').split(',')[0]?.trim() === 'https';
  const hostname = hostnameOf(request.host ?? '') || '127.0.0.1';
  return `${secure ? 'wss' : 'ws'}://${hostname}:${DEFAULT_REALTIME_PORT}`;
}

function hostnameOf(host: string): string {
  const trimmed = host.trim();
  if (trimmed.startsWith('[')) {
    const end = trimmed.indexOf(']');
    return end > 0 ? trimmed.slice(0, end + 1) : '';
  }
  return trimmed.split(':')[0] ?? '';
}
