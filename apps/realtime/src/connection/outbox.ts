import type { TemplatedApp } from 'uWebSockets.js';
import { CloseCode, type OutgoingServerMessage, outgoingText, type ServerMessage } from '@meridian/protocol';
import type { Clock } from '../clock.ts';
import { TopicLedger } from '../inspect/connection-stats.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Session } from './session.ts';

/** uWS `send` result: the message was refused because the socket is over `maxBackpressure`. */
const SEND_DROPPED = 2;

/** Every message leaves through here: one place for encoding, metrics and the slow-consumer policy. */
export interface Outbox {
  /** Send to one socket; false if it is closed or the message was dropped (the socket is then closed). */
  send(session: Session, message: OutgoingServerMessage): boolean;
  /**
   * Send a durable message encoded once for many sockets (a snapshot chunk), as `send` does;
   * compressed when the socket negotiated permessage-deflate (these frames are big and JSON).
   */
  sendEncoded(session: Session, type: ServerMessage['type'], text: string): boolean;
  /** Send to every socket subscribed to `topic`, except `exclude`. */
  publish(topic: string, message: OutgoingServerMessage, exclude?: Session): void;
  /** Put an open socket on a topic (counted in its stats from now on). */
  subscribe(session: Session, topic: string): void;
  unsubscribe(session: Session, topic: string): void;
  /** Close with a code, once; counted by code. */
  close(session: Session, code: number, reason: string): void;
  /** Send what `send` queued while the socket was busy (on uWS's drain event). */
  flushBacklog(session: Session): void;
  /**
   * Find a socket too slow when its send buffer is over half the limit and did not shrink since
   * the last check; and finish a slow socket's close once its buffer is empty (or its time is up).
   */
  checkSlowConsumer(session: Session): void;
  /**
   * A socket that could not take a durable message: it gets nothing more and is closed with 4008
   * once what is queued for it has left, so the close frame is the next thing it reads; it then
   * reconnects and resumes from its last seq.
   */
  closeSlowConsumer(session: Session): void;
}

// `presence",` so that `presenceLeft` (durable: a missed one leaves a ghost) does not match.
const VOLATILE_PREFIXES = [
  '{"type":"presence",',
  '{"type":"presenceBatch"',
  '{"type":"summon"',
  '{"type":"pong"',
];
const decoder = new TextDecoder();

/**
 * Whether a frame uWS dropped for backpressure was volatile (fine to lose) rather than durable.
 * Every message is encoded with `type` as its first key, so the prefix tells.
 */
export function isVolatileFrame(frame: ArrayBuffer): boolean {
  const head = decoder.decode(new Uint8Array(frame, 0, Math.min(frame.byteLength, 24)));
  return VOLATILE_PREFIXES.some((prefix) => head.startsWith(prefix));
}

/**
 * How long a send buffer over the soft limit may go without shrinking before its socket is found
 * too slow (scans are SESSION_SWEEP_MS apart).
 */
const SLOW_STALL_MS = 2000;

/** Direct messages one socket may have queued before it is closed as hopelessly slow. */
const MAX_BACKLOG = 2000;
const VOLATILE_TYPES: ReadonlySet<string> = new Set(['presence', 'presenceBatch', 'summon', 'pong']);

/**
 * What a client sees when it was cut rather than closed (no close frame reached it): counted
 * under this code, which RFC 6455 reserves for exactly that observation.
 */
const CUT_CODE = '1006';

export function createOutbox(
  app: TemplatedApp,
  metrics: Metrics,
  logger: Logger,
  limits: {
    maxBackpressureBytes: number;
    /**
     * How long a slow socket may take to empty its send buffer before it is cut instead of
     * closed (IDLE_TIMEOUT_S: uWS would cut a silent one by then anyway).
     */
    slowCloseDeadlineMs: number;
  },
  clock: Clock,
): Outbox {
  const ledger = new TopicLedger();
  /**
   * Sockets found too slow, and when. A close frame queued behind megabytes (uWS's buffer, then
   * the kernel's) is lost if the client does not read it all before uWS's close timeout (4-16 s,
   * from IDLE_TIMEOUT_S), so it saw 1006 after a long stall. A slow socket therefore gets nothing
   * more, and the close is sent once its buffer has emptied: then the close frame goes straight
   * to the kernel, behind only what the client already had to read.
   */
  const slowSince = new WeakMap<Session, number>();
  const finishSlow = (session: Session, since: number): void => {
    const ws = session.ws;
    if (!ws) return;
    if (ws.getBufferedAmount() === 0) {
      outbox.close(session, CloseCode.SLOW_CONSUMER, 'too slow: reconnect and resume');
      return;
    }
    if (clock.now() - since < limits.slowCloseDeadlineMs) return;
    session.beginClose(Number(CUT_CODE));
    metrics.closes.inc({ code: CUT_CODE });
    try {
      ws.close();
    } catch (error) {
      logger.warn({ err: String(error), session: session.id }, 'cutting a slow socket failed');
    }
  };
  const silence = (session: Session): void => {
    const ws = session.ws;
    if (!ws) return;
    for (const topic of ws.getTopics()) outbox.unsubscribe(session, topic);
    finishSlow(session, slowSince.get(session) ?? clock.now());
  };
  // Below this a send can never be dropped by uWS (it drops only past maxBackpressure).
  const softLimitBytes = limits.maxBackpressureBytes / 2;
  const countSent = (session: Session, type: string, text: string) => {
    const bytes = Buffer.byteLength(text);
    metrics.messagesOut.inc({ type });
    metrics.bytesOut.inc(bytes);
    session.stats.sent(bytes);
  };
  const busy = (session: Session): boolean => (session.ws?.getBufferedAmount() ?? 0) > softLimitBytes;
  /** Send now, or queue in order behind what is already queued (durable messages are never dropped). */
  const sendText = (
    session: Session,
    type: string,
    text: string,
    volatile: boolean,
    compress: boolean,
  ): boolean => {
    const ws = session.ws;
    if (!ws) return false;
    if (session.backlog !== null || busy(session)) {
      // Queued in order rather than risking a silent drop; sent when uWS reports the drain.
      session.backlog ??= [];
      session.backlog.push({ type, text, compress });
      if (session.backlog.length > MAX_BACKLOG) outbox.closeSlowConsumer(session);
      return true;
    }
    if (ws.send(text, false, compress) === SEND_DROPPED) {
      if (volatile) {
        metrics.volatileDropped.inc();
        session.stats.volatileDropped++;
      } else {
        outbox.closeSlowConsumer(session);
      }
      return false;
    }
    countSent(session, type, text);
    return true;
  };
  const outbox: Outbox = {
    send(session, message) {
      if (!session.ws || slowSince.has(session)) return false;
      const volatile = VOLATILE_TYPES.has(message.type);
      if (volatile && (session.backlog !== null || busy(session))) {
        metrics.volatileDropped.inc();
        session.stats.volatileDropped++;
        return false;
      }
      return sendText(session, message.type, outgoingText(message), volatile, false);
    },
    sendEncoded(session, type, text) {
      if (!session.ws || slowSince.has(session)) return false;
      return sendText(session, type, text, false, session.stats.deflate);
    },
    flushBacklog(session) {
      const since = slowSince.get(session);
      if (since !== undefined) {
        finishSlow(session, since);
        return;
      }
      const ws = session.ws;
      const backlog = session.backlog;
      if (!backlog) return;
      while (session.ws && ws && backlog.length > 0) {
        if (ws.getBufferedAmount() > softLimitBytes) return;
        const next = backlog.shift();
        if (!next) break;
        if (ws.send(next.text, false, next.compress) === SEND_DROPPED) {
          outbox.closeSlowConsumer(session);
          return;
        }
        countSent(session, next.type, next.text);
      }
      // Emptied: back to no queue at all, so later sends go straight out (and no array is kept).
      if (backlog.length === 0 && session.backlog === backlog) session.backlog = null;
    },
    checkSlowConsumer(session) {
      const ws = session.ws;
      if (!ws) return;
      const since = slowSince.get(session);
      if (since !== undefined) {
        finishSlow(session, since);
        return;
      }
      const buffered = ws.getBufferedAmount();
      if (buffered <= softLimitBytes) {
        session.lastBufferedOver = null;
        return;
      }
      const now = clock.now();
      const last = session.lastBufferedOver;
      if (last === null || buffered < last.bytes) {
        session.lastBufferedOver = { bytes: buffered, sinceMs: now };
        return;
      }
      // Still over and not draining for a while: a big snapshot chunk or bulk record being read
      // shrinks meanwhile, but a client parsing a 1 MiB record on a busy machine may not read
      // between two scans.
      if (now - last.sinceMs >= SLOW_STALL_MS) {
        outbox.closeSlowConsumer(session);
        return;
      }
      last.bytes = buffered;
    },
    publish(topic, message, exclude) {
      const receivers = app.numSubscribers(topic) - (exclude?.stats.isOn(topic) ? 1 : 0);
      if (receivers <= 0) return;
      const text = outgoingText(message);
      const bytes = Buffer.byteLength(text);
      ledger.published(topic, bytes);
      const excluded = exclude?.ws;
      if (exclude && excluded) {
        excluded.publish(topic, text, false);
        if (exclude.stats.isOn(topic)) exclude.stats.skipped(bytes);
      } else {
        app.publish(topic, text, false);
      }
      metrics.messagesOut.inc({ type: message.type }, receivers);
      metrics.bytesOut.inc(bytes * receivers);
    },
    subscribe(session, topic) {
      const ws = session.ws;
      if (!ws || slowSince.has(session)) return;
      ws.subscribe(topic);
      ledger.subscribe(session.stats, topic);
    },
    unsubscribe(session, topic) {
      // uWS drops a closed socket's subscriptions itself; the ledger still needs to hear of it.
      session.ws?.unsubscribe(topic);
      ledger.unsubscribe(session.stats, topic);
    },
    close(session, code, reason) {
      const ws = session.ws;
      if (!ws) return;
      session.beginClose(code);
      metrics.closes.inc({ code: String(code) });
      try {
        // uWS runs the close handler synchronously inside end(): the session is closed after it.
        ws.end(code, reason);
      } catch (error) {
        logger.warn({ err: String(error), session: session.id }, 'closing a socket failed');
      }
    },
    closeSlowConsumer(session) {
      if (!session.ws || slowSince.has(session)) return;
      metrics.slowConsumerCloses.inc();
      slowSince.set(session, clock.now());
      session.backlog = null;
      // Deferred: this is often called from inside a uWS publish, which must not change topics under it.
      setImmediate(() => silence(session));
    },
  };
  return outbox;
}
