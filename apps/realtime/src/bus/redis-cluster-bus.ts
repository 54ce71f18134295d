import { createCluster } from '@redis/client';
import type { Bus } from './bus.ts';
import {
  connectWithin,
  createPubSubBus,
  REDIS_SOCKET,
  type RedisBusBaseOptions,
  redactUrl,
} from './redis-common.ts';

export interface RedisClusterBusOptions extends RedisBusBaseOptions {
  /** Seed nodes as `redis://[user:password@]host:port` (or `rediss://`); the rest is discovered. */
  rootNodes: readonly string[];
}

/**
 * Sharded pub/sub on a Redis Cluster (SSUBSCRIBE/SPUBLISH, Redis >= 7), channel
 * `<prefix>{map:<mapId>}`: the hash tag puts all of a map's channels in the map's slot, so its
 * traffic touches the one shard that owns it rather than being broadcast to every node as
 * classic PUBLISH is in a cluster. Like the single-server bus: a subscriber cluster client
 * (with an offline queue, so SSUBSCRIBE issued during an outage runs on reconnect) and a
 * publisher without one (publishes during an outage fail fast; peers fill gaps from the op log).
 */
export async function createRedisClusterBus(options: RedisClusterBusOptions): Promise<Bus> {
  const { logger } = options;
  const subscribeTimeoutMs = options.subscribeTimeoutMs ?? 2000;
  const seed = new URL(options.rootNodes[0] ?? 'redis://127.0.0.1:6379');
  // Nodes found by discovery get no URL of their own: credentials and TLS come from `defaults`.
  const defaults = {
    socket: { ...REDIS_SOCKET, ...(seed.protocol === 'rediss:' ? { tls: true as const } : {}) },
    ...(seed.username ? { username: decodeURIComponent(seed.username) } : {}),
    ...(seed.password ? { password: decodeURIComponent(seed.password) } : {}),
  };
  const rootNodes = options.rootNodes.map((url) => ({ url }));

  return createPubSubBus({ logger, metrics: options.metrics, subscribeTimeoutMs }, async (signal) => {
    const publisher = createCluster({ rootNodes, defaults: { ...defaults, disableOfflineQueue: true } });
    const subscriber = createCluster({ rootNodes, defaults });
    /** Cluster nodes (host:port) per role whose connection is currently lost. */
    const down = { publisher: new Set<string>(), subscriber: new Set<string>() };

    const watch = (cluster: typeof publisher, role: 'publisher' | 'subscriber') => {
      const lost = down[role];
      const key = (node: { host: string; port: number }) => `${node.host}:${node.port}`;
      cluster.on('error', (error: Error) => {
        logger.warn({ err: error.message, role }, 'redis cluster error');
      });
      cluster.on('node-error', (error: Error, node: { host: string; port: number }) => {
        // node-redis emits an error per failed reconnect attempt; one line per outage is enough.
        if (!lost.has(key(node)))
          logger.warn({ err: error.message, role, node: key(node) }, 'redis node error');
        lost.add(key(node));
      });
      cluster.on('node-reconnecting', (node: { host: string; port: number }) => {
        lost.add(key(node));
      });
      cluster.on('node-ready', (node: { host: string; port: number }) => {
        if (!lost.delete(key(node)) || signal.closing) return;
        logger.info({ role, node: key(node) }, 'redis node connection restored');
        // A node's sharded subscriptions are re-established before it reports ready.
        if (role === 'subscriber') signal.fire();
      });
    };
    watch(publisher, 'publisher');
    watch(subscriber, 'subscriber');

    const connecting = { signal, logger, ms: subscribeTimeoutMs, target: options.rootNodes.map(redactUrl) };
    await Promise.all(
      [publisher, subscriber].map((cluster) => connectWithin(() => cluster.connect(), connecting)),
    );

    return {
      kind: 'redis-cluster',
      channel: (mapId) => `${options.channelPrefix}{map:${mapId}}`,
      subscribe: (channel, listener) => subscriber.sSubscribe(channel, listener),
      unsubscribe: (channel, listener) => subscriber.sUnsubscribe(channel, listener),
      publish: (channel, raw) => (publisher.isReady ? publisher.sPublish(channel, raw) : undefined),
      isReady: () =>
        publisher.isReady && subscriber.isReady && down.publisher.size === 0 && down.subscriber.size === 0,
      async close() {
        for (const cluster of [publisher, subscriber]) {
          if (cluster.isOpen) await cluster.close().catch(() => cluster.destroy());
        }
      },
    };
  });
}
