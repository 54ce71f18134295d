import { createClient } from '@redis/client';
import type { Bus } from './bus.ts';
import {
  connectWithin,
  createPubSubBus,
  REDIS_SOCKET,
  type RedisBusBaseOptions,
  redactUrl,
} from './redis-common.ts';

export interface RedisBusOptions extends RedisBusBaseOptions {
  url: string;
}

/**
 * Redis pub/sub, channel `<prefix>map:<mapId>`. Two connections: a subscriber (which Redis
 * dedicates to pub/sub) and a publisher. The publisher has no offline queue, so publishes
 * during an outage fail fast instead of piling up; peers recover those ops from the op log.
 */
export async function createRedisBus(options: RedisBusOptions): Promise<Bus> {
  const { logger } = options;
  const subscribeTimeoutMs = options.subscribeTimeoutMs ?? 2000;
  return createPubSubBus({ logger, metrics: options.metrics, subscribeTimeoutMs }, async (signal) => {
    const publisher = createClient({ url: options.url, socket: REDIS_SOCKET, disableOfflineQueue: true });
    // The subscriber keeps its offline queue: SUBSCRIBE commands issued during an outage run on reconnect.
    const subscriber = createClient({ url: options.url, socket: REDIS_SOCKET });
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
        if (!lost || signal.closing) return;
        lost = false;
        logger.info({ role }, 'redis connection restored');
        // Subscriptions are re-established before 'ready'.
        if (role === 'subscriber') signal.fire();
      });
    };
    watch(publisher, 'publisher');
    watch(subscriber, 'subscriber');

    const connecting = { signal, logger, ms: subscribeTimeoutMs, target: redactUrl(options.url) };
    await Promise.all(
      [publisher, subscriber].map((client) => connectWithin(() => client.connect(), connecting)),
    );

    return {
      kind: 'redis',
      channel: (mapId) => `${options.channelPrefix}map:${mapId}`,
      subscribe: (channel, listener) => subscriber.subscribe(channel, listener),
      unsubscribe: (channel, listener) => subscriber.unsubscribe(channel, listener),
      publish: (channel, raw) => (publisher.isReady ? publisher.publish(channel, raw) : undefined),
      isReady: () => publisher.isReady && subscriber.isReady,
      async close() {
        for (const client of [publisher, subscriber]) {
          if (client.isReady) await client.close().catch(() => client.destroy());
          else if (client.isOpen) client.destroy();
        }
      },
    };
  });
}
