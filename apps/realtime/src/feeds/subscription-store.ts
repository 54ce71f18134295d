/**
 * WebSub subscriptions by callback id. The node that holds a feed subscribes, but the hub's
 * verification and deliveries may reach any node behind the load balancer, so every node must be
 * able to look a subscription up: in Redis when there is one, in memory for a single node.
 */
export interface SubscriptionRecord {
  /** The `<id>` of the callback URL `<MERIDIAN_PUBLIC_URL>/websub/<id>`. */
  id: string;
  mapId: string;
  layerId: string;
  /** The topic subscribed to (the feed's `rel="self"`, or its URL). */
  topic: string;
  hub: string;
  /** `hub.secret`: deliveries must be signed with it. */
  secret: string;
  /** The request awaiting verification of intent (§5.3), or null. */
  pendingMode: 'subscribe' | 'unsubscribe' | null;
  /** `pending` until the hub verifies, `verified` after, `denied` if the hub said so (§5.2). */
  state: 'pending' | 'verified' | 'denied';
  /** Lease granted at the last verification (s), and when (ms since epoch); 0 before. */
  leaseS: number;
  verifiedAt: number;
  /** `hub.reason` of a denial. */
  reason: string;
  /** Deliveries ignored for a missing or wrong signature. */
  badSignatures: number;
  /** Entries of the layer on the map after the last commit (for statuses sent from any node). */
  entries: number;
}

export type Counter = 'badSignatures';

export interface SubscriptionStore {
  get(id: string): Promise<SubscriptionRecord | null>;
  /** Create or overwrite the record; it expires after `ttlMs` unless written again. */
  put(record: SubscriptionRecord, ttlMs: number): Promise<void>;
  /** Change some fields of an existing record (no-op if it is gone); `ttlMs` resets its expiry. */
  update(
    id: string,
    fields: Partial<Omit<SubscriptionRecord, 'id' | Counter>>,
    ttlMs?: number,
  ): Promise<void>;
  /** Add to a counter atomically; returns the record after it, or null if it is gone. */
  increment(id: string, counter: Counter, by: number): Promise<SubscriptionRecord | null>;
  delete(id: string): Promise<void>;
}

export function createMemorySubscriptionStore(now: () => number = Date.now): SubscriptionStore {
  const records = new Map<string, { record: SubscriptionRecord; expiresAt: number }>();
  const live = (id: string) => {
    const entry = records.get(id);
    if (entry && entry.expiresAt <= now()) records.delete(id);
    return records.get(id);
  };
  return {
    get: async (id) => {
      const entry = live(id);
      return entry ? { ...entry.record } : null;
    },
    put: async (record, ttlMs) => {
      records.set(record.id, { record: { ...record }, expiresAt: now() + ttlMs });
    },
    update: async (id, fields, ttlMs) => {
      const entry = live(id);
      if (!entry) return;
      Object.assign(entry.record, fields);
      if (ttlMs !== undefined) entry.expiresAt = now() + ttlMs;
    },
    increment: async (id, counter, by) => {
      const entry = live(id);
      if (!entry) return null;
      entry.record[counter] += by;
      return { ...entry.record };
    },
    delete: async (id) => {
      records.delete(id);
    },
  };
}

/** The commands the store needs (a node-redis client has them). */
export interface StoreRedis {
  hGetAll(key: string): Promise<Record<string, string>>;
  del(key: string): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

// Each write is one script, so a record deleted meanwhile is never resurrected as a partial hash.
const PUT = `redis.call('del', KEYS[1]); redis.call('hset', KEYS[1], unpack(ARGV, 2)); return redis.call('pexpire', KEYS[1], ARGV[1])`;
const UPDATE = `if redis.call('exists', KEYS[1]) == 0 then return -1 end
redis.call('hset', KEYS[1], unpack(ARGV, 2))
if ARGV[1] ~= '' then redis.call('pexpire', KEYS[1], ARGV[1]) end
return 1`;
const INCREMENT = `if redis.call('exists', KEYS[1]) == 1 then return redis.call('hincrby', KEYS[1], ARGV[1], ARGV[2]) else return -1 end`;

const flat = (fields: Record<string, string>) => Object.entries(fields).flat();

function toFields(fields: Partial<SubscriptionRecord>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[name] = value === null ? '' : String(value);
  }
  return out;
}

function fromFields(fields: Record<string, string>): SubscriptionRecord | null {
  if (!fields.id || !fields.mapId || !fields.layerId || !fields.secret) return null;
  const pending = fields.pendingMode;
  const state = fields.state;
  return {
    id: fields.id,
    mapId: fields.mapId,
    layerId: fields.layerId,
    topic: fields.topic ?? '',
    hub: fields.hub ?? '',
    secret: fields.secret,
    pendingMode: pending === 'subscribe' || pending === 'unsubscribe' ? pending : null,
    state: state === 'verified' || state === 'denied' ? state : 'pending',
    leaseS: Number(fields.leaseS) || 0,
    verifiedAt: Number(fields.verifiedAt) || 0,
    reason: fields.reason ?? '',
    badSignatures: Number(fields.badSignatures) || 0,
    entries: Number(fields.entries) || 0,
  };
}

/** A hash per subscription at `<prefix>websub:<id>`, with an expiry renewed on each put. */
export function createRedisSubscriptionStore(redis: StoreRedis, keyPrefix: string): SubscriptionStore {
  const key = (id: string) => `${keyPrefix}websub:${id}`;
  const get = async (id: string) => fromFields(await redis.hGetAll(key(id)));
  return {
    get,
    put: async (record, ttlMs) => {
      await redis.eval(PUT, {
        keys: [key(record.id)],
        arguments: [String(ttlMs), ...flat(toFields(record))],
      });
    },
    update: async (id, fields, ttlMs) => {
      const args = flat(toFields(fields));
      if (args.length === 0) return;
      await redis.eval(UPDATE, {
        keys: [key(id)],
        arguments: [ttlMs === undefined ? '' : String(ttlMs), ...args],
      });
    },
    increment: async (id, counter, by) => {
      const result = await redis.eval(INCREMENT, { keys: [key(id)], arguments: [counter, String(by)] });
      return Number(result) < 0 ? null : get(id);
    },
    delete: async (id) => {
      await redis.del(key(id));
    },
  };
}
