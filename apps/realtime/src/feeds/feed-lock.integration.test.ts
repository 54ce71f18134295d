import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryFeedLock, createRedisFeedLock } from './feed-lock.ts';

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

describe('feed lock', () => {
  it('lets exactly one of several nodes hold a feed, and only the holder renew or release it', async () => {
    const nodes = ['a', 'b', 'c'].map((nodeId) =>
      createRedisFeedLock({ redis, nodeId, keyPrefix: prefix, ttlMs: 5000 }),
    );
    const feed = 'https://feeds.example/quakes.atom';
    const taken = await Promise.all(nodes.map((lock) => lock.acquire(feed)));
    expect(taken.filter(Boolean)).toHaveLength(1);
    const holder = taken.indexOf(true);
    const other = (holder + 1) % nodes.length;
    expect(await nodes[holder]?.renew(feed)).toBe(true);
    expect(await nodes[other]?.renew(feed)).toBe(false);
    await nodes[other]?.release(feed);
    expect(await nodes[other]?.acquire(feed)).toBe(false);
    await nodes[holder]?.release(feed);
    expect(await nodes[other]?.acquire(feed)).toBe(true);
  });

  it('passes to another node when the holder stops renewing', async () => {
    const a = createRedisFeedLock({ redis, nodeId: 'a', keyPrefix: prefix, ttlMs: 100 });
    const b = createRedisFeedLock({ redis, nodeId: 'b', keyPrefix: prefix, ttlMs: 100 });
    expect(await a.acquire('f2')).toBe(true);
    expect(await b.acquire('f2')).toBe(false);
    let acquired = false;
    for (let attempt = 0; attempt < 100 && !acquired; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      acquired = await b.acquire('f2');
    }
    expect(acquired).toBe(true);
    expect(await a.renew('f2')).toBe(false);
  });

  it('has an in-process form for a single node', async () => {
    const lock = createMemoryFeedLock();
    expect(await lock.acquire('f')).toBe(true);
    expect(await lock.acquire('f')).toBe(false);
    await lock.release('f');
    expect(await lock.acquire('f')).toBe(true);
  });
});
