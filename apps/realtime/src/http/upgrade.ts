import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { REALTIME_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '@meridian/protocol';
import { statusLine } from './respond.ts';

/** The only WebSocket version there is (RFC 6455 §4.1); anything else gets 426 naming it. */
export const WEBSOCKET_VERSION = '13';

/** Why an upgrade request is refused before any application check (origin, token). */
export interface UpgradeRefusal {
  status: 400 | 426;
  headers: Record<string, string>;
  message: string;
}

/** RFC 6455 §4.1: the key is a base64-encoded 16-byte nonce, so always 24 characters. */
const KEY_PATTERN = /^[A-Za-z0-9+/]{22}==$/;

const upgradeRequired = (message: string): UpgradeRefusal => ({
  status: 426,
  headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': WEBSOCKET_VERSION },
  message,
});

/**
 * Check the RFC 6455 part of an upgrade request (§4.2.1). A request that is not an upgrade at all,
 * or asks for another version, gets 426 with `Sec-WebSocket-Version: 13` (§4.4); a broken upgrade
 * (no `Connection: Upgrade`, a missing or malformed key) gets 400.
 */
export function checkUpgradeRequest(req: HttpRequest): UpgradeRefusal | null {
  if (req.getHeader('upgrade').toLowerCase() !== 'websocket') {
    return upgradeRequired('this path speaks WebSocket only: send an upgrade request');
  }
  const version = req.getHeader('sec-websocket-version');
  if (version !== WEBSOCKET_VERSION) {
    return upgradeRequired(`unsupported Sec-WebSocket-Version "${version}": use ${WEBSOCKET_VERSION}`);
  }
  const connection = req.getHeader('connection').toLowerCase();
  if (!connection.split(',').some((token) => token.trim() === 'upgrade')) {
    return { status: 400, headers: {}, message: 'an upgrade needs "Connection: Upgrade"' };
  }
  if (!KEY_PATTERN.test(req.getHeader('sec-websocket-key'))) {
    return { status: 400, headers: {}, message: 'missing or malformed Sec-WebSocket-Key' };
  }
  return null;
}

/** Answer a refused upgrade; the body is one plain line, never a stack. */
export function refuseUpgrade(res: HttpResponse, refusal: UpgradeRefusal): void {
  res.writeStatus(statusLine(refusal.status));
  for (const [name, value] of Object.entries(refusal.headers)) res.writeHeader(name, value);
  res.writeHeader('content-type', 'text/plain; charset=utf-8').end(refusal.message, true);
}

/**
 * A request on a WebSocket path that uWS did not treat as an upgrade (it only does so with a
 * 24-character key): say what is wrong with it, using the same rules.
 */
export function refuseNonUpgrade(res: HttpResponse, req: HttpRequest): void {
  refuseUpgrade(
    res,
    checkUpgradeRequest(req) ?? {
      status: 400,
      headers: {},
      message: 'missing or malformed Sec-WebSocket-Key',
    },
  );
}

/**
 * The subprotocol to answer with: the first one offered (RFC 6455 §4.2.2 lets the server pick one;
 * echoing the whole offered list back would fail the client's handshake).
 */
/**
 * What the upgrade's `Sec-WebSocket-Protocol` offers: the access token (an offered `bearer.<token>`)
 * and the subprotocol to select, which is Meridian's when offered and never the token's.
 */
export function readSubprotocols(offered: string): { token: string | undefined; selected: string } {
  const items = offered
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const bearer = items.find((item) => item.startsWith(TOKEN_SUBPROTOCOL_PREFIX));
  const others = items.filter((item) => !item.startsWith(TOKEN_SUBPROTOCOL_PREFIX));
  return {
    token: bearer?.slice(TOKEN_SUBPROTOCOL_PREFIX.length) || undefined,
    selected: others.includes(REALTIME_SUBPROTOCOL) ? REALTIME_SUBPROTOCOL : (others[0] ?? ''),
  };
}
