import { type BusMessage, encodeMessage, parseBusMessage } from '@meridian/protocol';
import { createNanoEvents } from 'nanoevents';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Bus } from './bus.ts';

const RECONNECT_MAX_DELAY_MS = 2000;

/** Back off quickly to a short ceiling: a restarted Redis should be used again within a couple of seconds. */
function reconnectDelayMs(retries: number): number {
  return Math.min(50 * 2 ** Math.min(retries, 10), RECONNECT_MAX_DELAY_MS);
}

/** Socket options shared by every Redis connection of the bus, single server or cluster node. */
export const REDIS_SOCKET = { reconnectStrategy: reconnectDelayMs, connectTimeout: 2000 };

/** Whether `promise` settles within `ms` (its rejection still rejects). */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(resolve, ms, false).unref()),
  ]);
}

/** Listeners told that the bus is back after a loss; silent once the bus is closing. */
export interface ReconnectSignal {
  readonly closing: boolean;
  fire(): void;
}

type RawListener = (raw: string) => void;

/** What differs between a single Redis and a Redis Cluster; the Bus semantics around it are shared. */
export interface PubSubTransport {
  kind: Bus['kind'];
  channel(mapId: string): string;
  subscribe(channel: string, listener: RawListener): Promise<unknown>;
  unsubscribe(channel: string, listener: RawListener): Promise<unknown>;
  /** Undefined when publishing is known to be impossible right now (the message is dropped). */
  publish(channel: string, raw: string): Promise<unknown> | undefined;
  isReady(): boolean;
  close(): Promise<void>;
}

/** Options every Redis bus takes, whatever the topology. */
export interface RedisBusBaseOptions {
  /** Prepended to every channel name; tests use a unique one per run. */
  channelPrefix: string;
  logger: Logger;
  metrics: Metrics;
  /** How long `subscribe` waits for Redis before giving up (the node keeps trying in the background). */
  subscribeTimeoutMs?: number;
}

interface PubSubBusOptions {
  logger: Logger;
  metrics: Metrics;
  subscribeTimeoutMs: number;
}

/** Start connecting; give up waiting (not trying) after `ms`, so boot goes on with Redis down. */
export async function connectWithin(
  connect: () => Promise<unknown>,
  options: { signal: ReconnectSignal; logger: Logger; ms: number; target: unknown },
): Promise<void> {
  const { signal, logger } = options;
  const connecting = connect().catch((error: unknown) => {
    if (!signal.closing) logger.error({ err: String(error), target: options.target }, 'redis connect failed');
  });
  if (!(await settlesWithin(connecting, options.ms)))
    logger.warn({ target: options.target }, 'redis not reachable yet; retrying in the background');
}

/**
 * The Bus over a Redis pub/sub transport. `connect` builds the transport and gets the signal its
 * connection watchers fire on each recovery (after subscriptions are re-established, so a
 * catch-up started then misses nothing).
 */
export async function createPubSubBus(
  options: PubSubBusOptions,
  connect: (signal: ReconnectSignal) => Promise<PubSubTransport>,
): Promise<Bus> {
  const { logger, metrics, subscribeTimeoutMs } = options;
  const reconnected = createNanoEvents<{ reconnect(): void }>();
  let closing = false;
  const signal: ReconnectSignal = {
    get closing() {
      return closing;
    },
    fire() {
      if (closing) return;
      metrics.busReconnects.inc();
      reconnected.emit('reconnect');
    },
  };
  const transport = await connect(signal);
  const publishEncoded = (mapId: string, raw: string) => {
    if (closing) return;
    const sent = transport.publish(transport.channel(mapId), raw);
    if (!sent) {
      metrics.busPublishFailures.inc();
      return;
    }
    sent.catch(() => metrics.busPublishFailures.inc());
  };

  return {
    kind: transport.kind,
    async subscribe(mapId, listener) {
      const onMessage = (raw: string) => {
        const parsed = parseBusMessage(raw);
        if (!parsed.ok) {
          metrics.busInvalidDropped.inc();
          logger.warn({ mapId, error: parsed.error.message }, 'dropped an invalid bus message');
          return;
        }
        listener(parsed.value, raw);
      };
      const subscribing = transport.subscribe(transport.channel(mapId), onMessage);
      if (!(await settlesWithin(subscribing, subscribeTimeoutMs))) {
        // Redis is down: the subscribe is queued and runs on reconnect, and the reconnect
        // catch-up fills whatever was missed, so the join goes on rather than hanging.
        subscribing.catch((error: unknown) =>
          logger.warn({ mapId, err: String(error) }, 'redis subscribe failed'),
        );
        logger.warn({ mapId }, 'redis subscribe pending; continuing without it');
      }
      return {
        async unsubscribe() {
          if (closing) return;
          try {
            await transport.unsubscribe(transport.channel(mapId), onMessage);
          } catch (error) {
            logger.warn({ mapId, err: String(error) }, 'redis unsubscribe failed');
          }
        },
      };
    },
    publish: (message: BusMessage) => publishEncoded(message.mapId, encodeMessage(message)),
    publishEncoded,
    isReady: () => transport.isReady(),
    onReconnect: (listener) => reconnected.on('reconnect', listener),
    async close() {
      closing = true;
      await transport.close();
    },
  };
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(unparseable)';
  }
}
