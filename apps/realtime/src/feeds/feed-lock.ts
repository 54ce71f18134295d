/** The two Redis commands the lock needs (a node-redis client has them). */
export interface LockRedis {
  set(key: string, value: string, options: { NX: true; PX: number }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/**
 * Who holds a feed's subscription. Exactly one node may subscribe to (or poll) a feed at a time,
 * whichever nodes have its map open: the others receive its entries over the bus like any op.
 * A holder renews its lease well before it runs out; a node that dies loses the lease after
 * `ttlMs` and another node with the map open takes over.
 */
export interface FeedLock {
  /** Try to take the lock; true if this node now holds it. */
  acquire(feed: string): Promise<boolean>;
  /** Extend a lock this node holds; false if it was lost (expired and taken by another node). */
  renew(feed: string): Promise<boolean>;
  /** Give it up if this node holds it. */
  release(feed: string): Promise<void>;
}

/** One process: a map is the lock table. */
export function createMemoryFeedLock(): FeedLock {
  const held = new Set<string>();
  return {
    acquire: async (feed) => {
      if (held.has(feed)) return false;
      held.add(feed);
      return true;
    },
    renew: async (feed) => held.has(feed),
    release: async (feed) => {
      held.delete(feed);
    },
  };
}

// Compare-and-act scripts: only the holder named in the value may extend or delete the key.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Several nodes: `SET key node NX PX ttl` on the shared Redis. */
export function createRedisFeedLock(options: {
  redis: LockRedis;
  nodeId: string;
  keyPrefix: string;
  ttlMs: number;
}): FeedLock {
  const { redis, nodeId, ttlMs } = options;
  const key = (feed: string) => `${options.keyPrefix}feed-lock:${feed}`;
  return {
    acquire: async (feed) => (await redis.set(key(feed), nodeId, { NX: true, PX: ttlMs })) === 'OK',
    renew: async (feed) =>
      Number(await redis.eval(RENEW, { keys: [key(feed)], arguments: [nodeId, String(ttlMs)] })) === 1,
    release: async (feed) => {
      await redis.eval(RELEASE, { keys: [key(feed)], arguments: [nodeId] });
    },
  };
}
