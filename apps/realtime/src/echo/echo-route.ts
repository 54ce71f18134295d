import uWS, { type TemplatedApp, type WebSocket } from 'uWebSockets.js';
import { CloseCode } from '@meridian/protocol';
import { createOriginPolicy } from '../auth/origin.ts';
import type { ServerContext } from '../context.ts';
import { sendPlain } from '../http/respond.ts';
import { checkUpgradeRequest, readSubprotocols, refuseNonUpgrade, refuseUpgrade } from '../http/upgrade.ts';

/**
 * The echo WebSocket path: every text and binary message comes back unchanged. Under `/ws/` so
 * the shipped load balancers (HAProxy `path_beg /ws/`, the Ingress `/ws` prefix) already route it
 * to the realtime nodes, while `/echo` on the public host stays the web app's echo page.
 */
export const ECHO_PATH = '/ws/echo';

/**
 * As on `/ws`: uWS cuts the TCP connection (no close frame) for a message over
 * `maxPayloadLength`, so that sits at four times MAX_FRAME_BYTES and messages between the two
 * get a proper 1009 close from us.
 */
const HARD_FRAME_FACTOR = 4;

type EchoData = Record<string, never>;

export interface EchoRoute {
  /** Open echo sockets (for the admin view and tests). */
  readonly size: number;
  /** Close every echo socket with 1012, as drain does for map sockets. */
  closeAll(): void;
}

/**
 * A debugging aid for operators and the web app's echo page. It needs no token (it reaches no
 * map), but the Origin policy of `/ws` applies so a page elsewhere cannot use a deployment's
 * bandwidth; the frame size, idle timeout and backpressure limits are those of `/ws`.
 * permessage-deflate is always on here (negotiated when the client offers it) so compression
 * can be tried against this endpoint whatever MERIDIAN_COMPRESSION says for `/ws`.
 */
export function registerEchoRoute(app: TemplatedApp, ctx: ServerContext): EchoRoute {
  const { config, logger } = ctx;
  const originAllowed = createOriginPolicy(config.allowedOrigins);
  const sockets = new Set<WebSocket<EchoData>>();

  app.ws<EchoData>(ECHO_PATH, {
    maxPayloadLength: config.maxFrameBytes * HARD_FRAME_FACTOR,
    idleTimeout: config.idleTimeoutS,
    sendPingsAutomatically: true,
    maxBackpressure: config.maxBackpressureBytes,
    // An echo client that does not read what it sends is closed rather than buffered without bound.
    closeOnBackpressureLimit: true,
    compression: uWS.SHARED_COMPRESSOR | uWS.SHARED_DECOMPRESSOR,
    upgrade: (res, req, context) => {
      try {
        const refusal = checkUpgradeRequest(req);
        if (refusal) return refuseUpgrade(res, refusal);
        if (ctx.draining) return sendPlain(res, 503, 'this node is shutting down; connect to another');
        if (!originAllowed(req.getHeader('origin'))) return sendPlain(res, 403, 'origin not allowed');
        res.upgrade<EchoData>(
          {},
          req.getHeader('sec-websocket-key'),
          readSubprotocols(req.getHeader('sec-websocket-protocol')).selected,
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      } catch (error) {
        logger.error({ err: error }, 'echo upgrade failed');
      }
    },
    open: (ws) => {
      sockets.add(ws);
    },
    message: (ws, message, isBinary) => {
      if (message.byteLength > config.maxFrameBytes) {
        ws.end(CloseCode.MESSAGE_TOO_BIG, `messages are limited to ${config.maxFrameBytes} bytes`);
        return;
      }
      // Compress the reply when the client negotiated deflate (uWS ignores the flag otherwise).
      ws.send(message, isBinary, true);
    },
    close: (ws) => {
      sockets.delete(ws);
    },
  });
  app.any(ECHO_PATH, (res, req) => refuseNonUpgrade(res, req));

  return {
    get size() {
      return sockets.size;
    },
    closeAll() {
      for (const ws of [...sockets]) {
        try {
          ws.end(CloseCode.SERVICE_RESTART, 'server restarting');
        } catch (error) {
          logger.warn({ err: String(error) }, 'closing an echo socket failed');
        }
      }
    },
  };
}
