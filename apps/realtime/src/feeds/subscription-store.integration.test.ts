import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemorySubscriptionStore,
  createRedisSubscriptionStore,
  type StoreRedis,
  type SubscriptionRecord,
  type SubscriptionStore,
} from './subscription-store.ts';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const prefix = `meridian-test-${process.pid}-${randomBytes(4).toString('hex')}:`;
const redis = createClient({ url: REDIS_URL });

beforeAll(async () => {
  await redis.connect();
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(keys);
  await redis.quit();
});

const record = (id: string): SubscriptionRecord => ({
  id,
  mapId: 'm1',
  layerId: 'quakes',
  topic: 'https://feeds.example/quakes.atom',
  hub: 'https://hub.example/',
  secret: 'a'.repeat(64),
  pendingMode: 'subscribe',
  state: 'pending',
  leaseS: 0,
  verifiedAt: 0,
  reason: '',
  badSignatures: 0,
  entries: 0,
});

const stores: [string, () => SubscriptionStore][] = [
  ['memory', () => createMemorySubscriptionStore()],
  ['redis', () => createRedisSubscriptionStore(redis as unknown as StoreRedis, prefix)],
];

describe.each(stores)('subscription store (%s)', (_kind, make) => {
  it('round-trips a record, updates fields, counts atomically and deletes', async () => {
    const store = make();
    await store.put(record('s1'), 60_000);
    expect(await store.get('s1')).toEqual(record('s1'));
    await store.update('s1', { pendingMode: null, state: 'verified', leaseS: 3600, verifiedAt: 1234 });
    expect(await store.get('s1')).toMatchObject({
      pendingMode: null,
      state: 'verified',
      leaseS: 3600,
      verifiedAt: 1234,
    });
    const counted = await Promise.all(
      Array.from({ length: 10 }, () => store.increment('s1', 'badSignatures', 1)),
    );
    expect(counted.every(Boolean)).toBe(true);
    expect((await store.get('s1'))?.badSignatures).toBe(10);
    await store.delete('s1');
    expect(await store.get('s1')).toBeNull();
  });

  it('never brings a deleted record back as a partial one', async () => {
    const store = make();
    await store.update('gone', { state: 'verified' });
    expect(await store.increment('gone', 'badSignatures', 3)).toBeNull();
    expect(await store.get('gone')).toBeNull();
  });

  it('expires a record after its ttl, which an update may reset', async () => {
    const store = make();
    await store.put(record('short'), 50);
    await store.put(record('kept'), 50);
    await store.update('kept', { state: 'verified' }, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await store.get('short')).toBeNull();
    expect(await store.get('kept')).toMatchObject({ state: 'verified' });
  });
});
