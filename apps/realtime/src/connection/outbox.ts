import type { TemplatedApp } from 'uWebSockets.js';
import { CloseCode, encodeMessage, type ServerMessage } from '@meridian/protocol';
import { TopicLedger } from '../inspect/connection-stats.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Session } from './session.ts';

/** uWS `send` result: the message was refused because the socket is over `maxBackpressure`. */
const SEND_DROPPED = 2;

/** Every message leaves through here: one place for encoding, metrics and the slow-consumer policy. */
export interface Outbox {
  /** Send to one socket; false if it is closed or the message was dropped (the socket is then closed). */
  send(session: Session, message: ServerMessage): boolean;
  /** Send to every socket subscribed to `topic`, except `exclude`. */
  publish(topic: string, message: ServerMessage, exclude?: Session): void;
  /** Put an open socket on a topic (counted in its stats from now on). */
  subscribe(session: Session, topic: string): void;
  unsubscribe(session: Session, topic: string): void;
  /** Close with a code, once; counted by code. */
  close(session: Session, code: number, reason: string): void;
  /** Close a socket that could not take a durable message: it reconnects and resumes from its last seq. */
  closeSlowConsumer(session: Session): void;
}

const VOLATILE_PREFIXES = ['{"type":"presence', '{"type":"summon"', '{"type":"pong"'];
const decoder = new TextDecoder();

/**
 * Whether a frame uWS dropped for backpressure was volatile (fine to lose) rather than durable.
 * Every message is encoded with `type` as its first key, so the prefix tells.
 */
export function isVolatileFrame(frame: ArrayBuffer): boolean {
  const head = decoder.decode(new Uint8Array(frame, 0, Math.min(frame.byteLength, 24)));
  return VOLATILE_PREFIXES.some((prefix) => head.startsWith(prefix));
}

export function createOutbox(app: TemplatedApp, metrics: Metrics, logger: Logger): Outbox {
  const ledger = new TopicLedger();
  const outbox: Outbox = {
    send(session, message) {
      const ws = session.ws;
      if (!session.open || !ws) return false;
      const text = encodeMessage(message);
      const status = ws.send(text, false);
      if (status === SEND_DROPPED) {
        if (message.type === 'presence' || message.type === 'summon' || message.type === 'pong') {
          metrics.volatileDropped.inc();
          session.stats.volatileDropped++;
        } else {
          outbox.closeSlowConsumer(session);
        }
        return false;
      }
      const bytes = Buffer.byteLength(text);
      metrics.messagesOut.inc({ type: message.type });
      metrics.bytesOut.inc(bytes);
      session.stats.sent(bytes);
      return true;
    },
    publish(topic, message, exclude) {
      const text = encodeMessage(message);
      const receivers = app.numSubscribers(topic) - (exclude?.volatileOn ? 1 : 0);
      if (receivers <= 0) return;
      const bytes = Buffer.byteLength(text);
      ledger.published(topic, bytes);
      if (exclude?.open && exclude.ws) {
        exclude.ws.publish(topic, text, false);
        if (exclude.stats.isOn(topic)) exclude.stats.skipped(bytes);
      } else {
        app.publish(topic, text, false);
      }
      metrics.messagesOut.inc({ type: message.type }, receivers);
      metrics.bytesOut.inc(bytes * receivers);
    },
    subscribe(session, topic) {
      if (!session.open || !session.ws) return;
      session.ws.subscribe(topic);
      ledger.subscribe(session.stats, topic);
    },
    unsubscribe(session, topic) {
      // uWS drops a closed socket's subscriptions itself; the ledger still needs to hear of it.
      if (session.open && !session.closing && session.ws) session.ws.unsubscribe(topic);
      ledger.unsubscribe(session.stats, topic);
    },
    close(session, code, reason) {
      if (!session.open || session.closing || !session.ws) return;
      session.closing = true;
      metrics.closes.inc({ code: String(code) });
      try {
        // uWS runs the close handler synchronously inside end().
        session.ws.end(code, reason);
      } catch (error) {
        logger.warn({ err: String(error), session: session.id }, 'closing a socket failed');
      }
    },
    closeSlowConsumer(session) {
      if (!session.open || session.closing) return;
      metrics.slowConsumerCloses.inc();
      // Deferred: this is often called from inside a uWS publish, which must not close sockets under it.
      setImmediate(() => outbox.close(session, CloseCode.SLOW_CONSUMER, 'too slow: reconnect and resume'));
    },
  };
  return outbox;
}
