import { createClient, createCluster } from '@redis/client';
import { REDIS_SOCKET } from '../bus/redis-common.ts';
import type { Config } from '../env.ts';
import type { Logger } from '../logger.ts';
import type { LockRedis } from './feed-lock.ts';
import type { StoreRedis } from './subscription-store.ts';

/** The feed module's own Redis connection: lock and subscription-record commands, all single-key. */
export interface FeedRedis {
  commands: LockRedis & StoreRedis;
  close(): Promise<void>;
}

/**
 * Connect to the deployment's Redis (single server or Cluster), or null without one. Every
 * command names one key, so on a Cluster each goes to the node owning that key's slot.
 * Commands issued before the connection is up wait for it.
 */
export function connectFeedRedis(config: Config, logger: Logger): FeedRedis | null {
  let warned = false;
  const onError = (error: Error) => {
    // node-redis emits an error per failed reconnect attempt; one line per outage is enough.
    if (!warned) logger.warn({ err: error.message }, 'feed redis connection error');
    warned = true;
  };
  const onConnectFailure = (error: Error) => logger.warn({ err: error.message }, 'feed redis connect failed');

  if (config.redisUrl) {
    const client = createClient({ url: config.redisUrl, socket: REDIS_SOCKET });
    client.on('error', onError);
    client.on('ready', () => {
      warned = false;
    });
    client.connect().catch(onConnectFailure);
    return {
      commands: client as unknown as LockRedis & StoreRedis,
      async close() {
        if (client.isReady) await client.close().catch(() => client.destroy());
        else if (client.isOpen) client.destroy();
      },
    };
  }
  if (config.redisClusterNodes) {
    const seed = new URL(config.redisClusterNodes[0] ?? 'redis://127.0.0.1:6379');
    const cluster = createCluster({
      rootNodes: config.redisClusterNodes.map((url) => ({ url })),
      // Nodes found by discovery get no URL of their own: credentials and TLS come from here.
      defaults: {
        socket: { ...REDIS_SOCKET, ...(seed.protocol === 'rediss:' ? { tls: true as const } : {}) },
        ...(seed.username ? { username: decodeURIComponent(seed.username) } : {}),
        ...(seed.password ? { password: decodeURIComponent(seed.password) } : {}),
      },
    });
    cluster.on('error', onError);
    // Unlike a single client, a cluster client refuses commands until it has the slot map:
    // each command waits for the first connection attempt to settle.
    const connected = cluster.connect().then(
      () => {},
      (error: Error) => onConnectFailure(error),
    );
    const commands = cluster as unknown as LockRedis & StoreRedis;
    return {
      commands: {
        set: async (key, value, options) => connected.then(() => commands.set(key, value, options)),
        eval: async (script, options) => connected.then(() => commands.eval(script, options)),
        hGetAll: async (key) => connected.then(() => commands.hGetAll(key)),
        del: async (key) => connected.then(() => commands.del(key)),
      },
      async close() {
        await cluster.close().catch(() => cluster.destroy());
      },
    };
  }
  return null;
}
