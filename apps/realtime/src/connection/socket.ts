import uWS, {
  type HttpRequest,
  type HttpResponse,
  type us_socket_context_t,
  type WebSocketBehavior,
} from 'uWebSockets.js';
import { CloseCode, ErrorCode, parseClientMessage } from '@meridian/protocol';
import { createOriginPolicy } from '../auth/origin.ts';
import type { ServerContext } from '../context.ts';
import { sendPlain } from '../http/respond.ts';
import { checkUpgradeRequest, readSubprotocols, refuseUpgrade } from '../http/upgrade.ts';
import { isBulkOp, refuseInvalid } from './admission.ts';
import { dispatch } from './handlers.ts';
import { armHelloTimeout, disarmHelloTimeout } from './lifecycle.ts';
import { isVolatileFrame } from './outbox.ts';
import { sendError } from './replies.ts';
import { Session, type SocketData, sessionBudgets } from './session.ts';

/**
 * uWS drops a frame over `maxPayloadLength` by cutting the TCP connection (the client sees 1006).
 * The hard limit sits above the frame limits so frames between the two get a proper 1009 close
 * from us, while anything larger is still refused before it is buffered.
 */
const HARD_FRAME_FACTOR = 4;

/** The frame limit for this message of this session: a bulk op's, once the session was told it. */
function frameLimit(config: ServerContext['config'], session: Session, bytes: number, text: string): number {
  if (bytes <= config.maxFrameBytes || !session.client) return config.maxFrameBytes;
  return isBulkFrame(text) ? config.maxBulkFrameBytes : config.maxFrameBytes;
}

const BULK_KINDS = ['"kind":"features.import"', '"kind":"features.delete"'];

/**
 * Whether a frame is worth parsing as a bulk op (the parse then says whether it is one). A cheap
 * look at its head: a hostile frame that only claims to be one is parsed, bounded by the bulk
 * limit and charged by its size like any bulk op, then refused.
 */
function isBulkFrame(text: string): boolean {
  if (!text.startsWith('{"type":"op"')) return false;
  const head = text.slice(0, 512);
  return BULK_KINDS.some((kind) => head.includes(kind));
}

const COMPRESSION = {
  off: uWS.DISABLED,
  shared: uWS.SHARED_COMPRESSOR | uWS.SHARED_DECOMPRESSOR,
  dedicated: uWS.DEDICATED_COMPRESSOR_4KB | uWS.DEDICATED_DECOMPRESSOR,
} as const;

const decoder = new TextDecoder();

/** The WebSocket route: upgrade (origin, token), then per-message limits, parsing and dispatch. */
export function createSocketBehavior(ctx: ServerContext): WebSocketBehavior<SocketData> {
  const { config, logger, metrics, outbox } = ctx;
  const originAllowed = createOriginPolicy(config.allowedOrigins);
  const budgets = sessionBudgets(config);
  let nextSessionId = 0;

  /** A throw inside a uWS callback can take the process down: contain it here. */
  const guard = <A extends unknown[]>(what: string, fn: (...args: A) => void) => {
    return (...args: A): void => {
      try {
        fn(...args);
      } catch (error) {
        logger.error({ err: error }, `${what} handler failed`);
      }
    };
  };

  const upgrade = (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => {
    const key = req.getHeader('sec-websocket-key');
    const extensions = req.getHeader('sec-websocket-extensions');
    const origin = req.getHeader('origin');
    const offered = readSubprotocols(req.getHeader('sec-websocket-protocol'));
    // Browsers send it as a subprotocol; `?token=` stays for tools that cannot set one (curl, wscat).
    const token = offered.token ?? req.getQuery('token') ?? '';
    const refusal = checkUpgradeRequest(req);
    if (refusal) {
      refuseUpgrade(res, refusal);
      return;
    }
    if (ctx.draining) {
      sendPlain(res, 503, 'this node is shutting down; connect to another');
      return;
    }
    if (!originAllowed(origin)) {
      sendPlain(res, 403, 'origin not allowed');
      return;
    }
    if (!token) {
      sendPlain(res, 401, 'missing access token');
      return;
    }
    const verified = ctx.tokens.verify(token);
    if (!verified.ok) {
      sendPlain(res, 401, `access token ${verified.reason}`);
      return;
    }
    const session = new Session(++nextSessionId, verified.claims, budgets, ctx.clock.now());
    session.stats.deflate = config.compression !== 'off' && /permessage-deflate/i.test(extensions);
    res.upgrade<SocketData>({ session }, key, offered.selected, extensions, context);
  };

  return {
    maxPayloadLength: Math.max(config.maxFrameBytes * HARD_FRAME_FACTOR, config.maxBulkFrameBytes * 2),
    idleTimeout: config.idleTimeoutS,
    sendPingsAutomatically: true,
    maxBackpressure: config.maxBackpressureBytes,
    // We close slow consumers ourselves, with 4008, only when a durable message is dropped.
    closeOnBackpressureLimit: false,
    compression: COMPRESSION[config.compression],
    upgrade: guard('upgrade', upgrade),
    open: guard('open', (ws) => {
      const session = ws.getUserData().session;
      session.opened(ws);
      ctx.sessions.add(session);
      metrics.connections.inc();
      armHelloTimeout(ctx, session);
      logger.debug({ session: session.id, mapId: session.claims.mapId }, 'socket open');
    }),
    message: guard('message', (ws, data, isBinary) => {
      const session = ws.getUserData().session;
      // Past a decision to close for abuse nothing more is read (or accepted).
      if (!session.isActive) return;
      metrics.bytesIn.inc(data.byteLength);
      session.stats.received(data.byteLength);
      if (isBinary) {
        sendError(ctx, session, ErrorCode.BINARY_NOT_SUPPORTED, 'binary frames are not part of the protocol');
        outbox.close(session, CloseCode.UNSUPPORTED_DATA, 'binary frames are not supported');
        return;
      }
      const text = data.byteLength > config.maxBulkFrameBytes ? '' : decoder.decode(data);
      const limit = frameLimit(config, session, data.byteLength, text);
      if (data.byteLength > limit) {
        metrics.rejects.inc({ code: ErrorCode.FRAME_TOO_LARGE });
        outbox.close(session, CloseCode.MESSAGE_TOO_BIG, `frames are limited to ${limit} bytes`);
        return;
      }
      // Parsed before it is charged: the charge depends on what the message asks (a sync's range),
      // and a refused op must be answered with its op id.
      const parsed = parseClientMessage(text, limit);
      if (parsed.ok && data.byteLength > config.maxFrameBytes && !isBulkOp(parsed.value)) {
        metrics.rejects.inc({ code: ErrorCode.FRAME_TOO_LARGE });
        outbox.close(
          session,
          CloseCode.MESSAGE_TOO_BIG,
          `frames other than bulk ops are limited to ${config.maxFrameBytes} bytes`,
        );
        return;
      }
      if (!parsed.ok) {
        metrics.messagesIn.inc({ type: 'invalid' });
        refuseInvalid(ctx, session, parsed.error.code, parsed.error.message, parsed.error.type);
        return;
      }
      metrics.messagesIn.inc({ type: parsed.value.type });
      logger.trace({ session: session.id, type: parsed.value.type }, 'message');
      dispatch(ctx, session, parsed.value, data.byteLength);
      if (session.state.kind !== 'greeting' && session.helloTimer) disarmHelloTimeout(session);
    }),
    drain: guard('drain', (ws) => {
      const session = ws.getUserData().session;
      outbox.flushBacklog(session);
      const { room, member } = session;
      if (room && member) room.onDrain(member);
    }),
    dropped: guard('dropped', (ws, data) => {
      const session = ws.getUserData().session;
      if (isVolatileFrame(data)) {
        metrics.volatileDropped.inc();
        session.stats.volatileDropped++;
      } else {
        outbox.closeSlowConsumer(session);
      }
    }),
    close: guard('close', (ws, code, message) => {
      const session = ws.getUserData().session;
      const left = session.closed();
      ctx.sessions.delete(session);
      metrics.connections.dec();
      left?.room.remove(left.member);
      logger.debug({ session: session.id, code, reason: decoder.decode(message) }, 'socket closed');
    }),
  };
}
