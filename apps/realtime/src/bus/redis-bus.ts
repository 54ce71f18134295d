import { type BusMessage, encodeMessage, parseBusMessage } from '@meridian/protocol';
import { createClient } from 'redis';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Bus, BusListener } from './bus.ts';

export interface RedisBusOptions {
  url: string;
  /** Prepended to every channel name; tests use a unique one per run. */
  channelPrefix: string;
  logger: Logger;
  metrics: Metrics;
  /** How long `subscribe` waits for Redis before giving up (the node keeps trying in the background). */
  subscribeTimeoutMs?: number;
}

const RECONNECT_MAX_DELAY_MS = 2000;

/** Back off quickly to a short ceiling: a restarted Redis should be used again within a couple of seconds. */
function reconnectDelayMs(retries: number): number {
  return Math.min(50 * 2 ** Math.min(retries, 10), RECONNECT_MAX_DELAY_MS);
}

/**
 * Redis pub/sub, channel `<prefix>map:<mapId>`. Two connections: a subscriber (which Redis
 * dedicates to pub/sub) and a publisher. The publisher has no offline queue, so publishes
 * during an outage fail fast instead of piling up; peers recover those ops from the op log.
 */
export async function createRedisBus(options: RedisBusOptions): Promise<Bus> {
  const { logger, metrics } = options;
  const subscribeTimeoutMs = options.subscribeTimeoutMs ?? 2000;
  const socket = { reconnectStrategy: reconnectDelayMs, connectTimeout: 2000 };
  const publisher = createClient({ url: options.url, socket, disableOfflineQueue: true });
  // The subscriber keeps its offline queue: SUBSCRIBE commands issued during an outage run on reconnect.
  const subscriber = createClient({ url: options.url, socket });
  const reconnectListeners = new Set<() => void>();
  const channel = (mapId: string) => `${options.channelPrefix}map:${mapId}`;
  let closing = false;

  const watch = (client: typeof publisher, role: 'publisher' | 'subscriber') => {
    let lost = false;
    let loggedError = false;
    client.on('error', (error: Error) => {
      // node-redis emits an error per failed reconnect attempt; one line per outage is enough.
      if (!loggedError) logger.warn({ err: error.message, role }, 'redis connection error');
      loggedError = true;
      lost = true;
    });
    client.on('end', () => {
      lost = true;
    });
    client.on('ready', () => {
      loggedError = false;
      if (!lost || closing) return;
      lost = false;
      metrics.busReconnects.inc();
      logger.info({ role }, 'redis connection restored');
      // Subscriptions are re-established before 'ready', so a catch-up started now misses nothing.
      if (role === 'subscriber') for (const listener of reconnectListeners) listener();
    });
  };
  watch(publisher, 'publisher');
  watch(subscriber, 'subscriber');

  const connectWithin = async (client: typeof publisher) => {
    const connecting = client.connect().catch((error: unknown) => {
      if (!closing) logger.error({ err: String(error) }, 'redis connect failed');
    });
    const timedOut = await Promise.race([
      connecting.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(resolve, subscribeTimeoutMs, true).unref()),
    ]);
    if (timedOut)
      logger.warn({ url: redactUrl(options.url) }, 'redis not reachable yet; retrying in the background');
  };
  await Promise.all([connectWithin(publisher), connectWithin(subscriber)]);

  return {
    kind: 'redis',
    async subscribe(mapId, listener: BusListener) {
      const onMessage = (raw: string) => {
        const parsed = parseBusMessage(raw);
        if (!parsed.ok) {
          logger.warn({ mapId, error: parsed.error.message }, 'dropped an invalid bus message');
          return;
        }
        listener(parsed.value);
      };
      const subscribing = subscriber.subscribe(channel(mapId), onMessage);
      const done = await Promise.race([
        subscribing.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(resolve, subscribeTimeoutMs, false).unref()),
      ]);
      if (!done) {
        // Redis is down: the SUBSCRIBE is queued and runs on reconnect, and the reconnect
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
            await subscriber.unsubscribe(channel(mapId), onMessage);
          } catch (error) {
            logger.warn({ mapId, err: String(error) }, 'redis unsubscribe failed');
          }
        },
      };
    },
    publish(message: BusMessage) {
      if (closing) return;
      if (!publisher.isReady) {
        metrics.busPublishFailures.inc();
        return;
      }
      publisher.publish(channel(message.mapId), encodeMessage(message)).catch(() => {
        metrics.busPublishFailures.inc();
      });
    },
    isReady: () => publisher.isReady && subscriber.isReady,
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    async close() {
      closing = true;
      for (const client of [publisher, subscriber]) {
        if (client.isReady) await client.close().catch(() => client.destroy());
        else if (client.isOpen) client.destroy();
      }
    },
  };
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(unparseable)';
  }
}
