import { readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { type Database, openDatabase } from '@meridian/db';
import type { MeridianClient } from '@meridian/protocol/client';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBus } from '../src/bus/redis-bus.ts';
import { entryFeatureId } from '../src/feeds/parse-feed.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { createServer, type RealtimeServer } from '../src/server.ts';
import { spawnNode } from './child-node.ts';
import { createDataDir, createPostgresDatabase, REDIS_URL, uniqueName } from './databases.ts';
import { startWebSubHub, type WebSubHub } from './fixtures/websub-hub.ts';
import { createMapVia, openClient, postJson, testConfig, tokenVia } from './harness.ts';
import { waitFor } from './wait.ts';

// Three real nodes on Postgres and Redis, and a W3C WebSub hub on loopback. Nodes A and B call
// each other's port their public URL, so every hub callback lands on the node that does NOT hold
// the subscription: the callback must work from the shared records alone. Node C has no
// MERIDIAN_PUBLIC_URL and opens only the name `localhost`, so 127.0.0.1 is refused there as any
// loopback or private address would be in production.

interface FeedNode {
  server: RealtimeServer;
  wsUrl: string;
  httpUrl: string;
  stop(): Promise<void>;
}

let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
let data: Awaited<ReturnType<typeof createDataDir>>;
let hub: WebSubHub;
let a: FeedNode;
let b: FeedNode;
let c: FeedNode;
const redisPrefix = `${uniqueName('websub')}:`;
const clients: MeridianClient[] = [];
/** The lease the hub grants: short, so a renewal happens during the tests. */
const HUB_LEASE_S = 3;
/** Topics the hub denies (§5.2); tests add to it. */
const deniedTopics: string[] = [];

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function startFeedNode(port: number, env: Record<string, string>): Promise<FeedNode> {
  const config = testConfig(data.dir, {
    REDIS_URL,
    REDIS_CHANNEL_PREFIX: redisPrefix,
    FEED_POLL_INTERVAL_S: '1',
    // Locks renewed (and free ones tried) every second, so a takeover is quick to see.
    FEED_LOCK_TTL_S: '3',
    ...env,
  });
  const logger = createLogger(config.logLevel, config.nodeId);
  const metrics = createMetrics({ processMetrics: false, nodeId: config.nodeId });
  const db: Database = await openDatabase({ databaseUrl: database.url, migrate: false, poolMax: 4 });
  const bus = await createRedisBus({ url: REDIS_URL, channelPrefix: redisPrefix, logger, metrics });
  const server = createServer({ config, db, bus, logger, metrics });
  await server.listen(port);
  return {
    server,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    httpUrl: `http://127.0.0.1:${port}`,
    async stop() {
      await server.close();
      await bus.close();
      await db.close();
    },
  };
}

beforeAll(async () => {
  database = await createPostgresDatabase();
  data = await createDataDir();
  hub = await startWebSubHub({ leaseSeconds: HUB_LEASE_S, denyTopics: deniedTopics });
  const [portA, portB, portC] = [await freePort(), await freePort(), await freePort()];
  const allow = { FEED_FETCH_ALLOW: '127.0.0.1/32' };
  a = await startFeedNode(portA, { ...allow, MERIDIAN_PUBLIC_URL: `http://127.0.0.1:${portB}` });
  b = await startFeedNode(portB, { ...allow, MERIDIAN_PUBLIC_URL: `http://127.0.0.1:${portA}` });
  // C: no public URL (feeds are polled even when they name a hub), and only `localhost` opened.
  c = await startFeedNode(portC, { FEED_FETCH_ALLOW: 'localhost' });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.allSettled([a, b, c].filter(Boolean).map((node) => node.stop()));
  await hub?.close();
  // Subscription records outlive their lease by an hour: leave nothing behind in the shared Redis.
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(keys);
  await redis.quit();
  await database?.drop();
  await data?.remove();
});

async function newMap(name: string) {
  const created = await createMapVia(a.httpUrl, name);
  const token = await tokenVia(a.httpUrl, created.map.id, created.editKey);
  return { mapId: created.map.id, token };
}

async function join(node: { wsUrl: string }, map: { mapId: string; token: string }, name: string) {
  const client = await openClient(node.wsUrl, { ...map, name });
  clients.push(client);
  return client;
}

function atom(entries: { id: string; title: string; lat: number; lng: number }[]): string {
  const items = entries
    .map(
      (e) => `<entry><id>${e.id}</id><title>${e.title}</title>
        <georss:point>${e.lat} ${e.lng}</georss:point></entry>`,
    )
    .join('\n');
  return `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:georss="http://www.georss.org/georss">
    <title>Test feed</title>${items}</feed>`;
}

async function counterSum(
  name: 'websubBadSignatures' | 'websubDeliveries' | 'feedFetches',
  label?: Record<string, string>,
) {
  let total = 0;
  for (const node of [a, b, c]) {
    for (const value of (await node.server.metrics[name].get()).values) {
      const labels = value.labels as Record<string, string>;
      if (!label || Object.entries(label).every(([k, v]) => labels[k] === v)) total += value.value;
    }
  }
  return total;
}

const status = (client: MeridianClient, layerId: string) => client.layerStatuses.get(layerId);
const holders = (layerId: string) =>
  [a, b, c].flatMap((node) => node.server.feeds.held().filter((held) => held.layerId === layerId));

describe('live feeds over WebSub', () => {
  const quake = (n: number) => ({
    id: `urn:quake:${n}`,
    title: `Quake ${n}`,
    lat: 45 + n / 10,
    lng: 4 + n / 10,
  });

  let map: { mapId: string; token: string };
  let layerId: string;
  let topic: string;
  let onA: MeridianClient;
  let onB: MeridianClient;

  it('subscribes once across two nodes, verifies, and delivers signed pushes to every client', async () => {
    topic = hub.setTopic('quakes', atom([quake(1), quake(2)]));
    map = await newMap('Quakes');
    onA = await join(a, map, 'on A');
    onB = await join(b, map, 'on B');
    layerId = onA.addLayer(topic, 'Quakes');

    // The first fetch's entries reach both nodes' clients, then the hub verifies and the layer is live.
    for (const client of [onA, onB]) {
      await waitFor('the feed entries', () => client.features.has(entryFeatureId(layerId, 'urn:quake:2')));
      await waitFor('the layer to be live', () => status(client, layerId)?.state === 'live');
    }
    expect(status(onB, layerId)).toMatchObject({ mode: 'websub', badSignatures: 0, entries: 2 });
    expect(status(onB, layerId)?.detail).toMatch(/^live \(WebSub via 127\.0\.0\.1:\d+\)$/);
    expect(onB.features.get(entryFeatureId(layerId, 'urn:quake:1'))?.properties).toMatchObject({
      title: 'Quake 1',
      layer: layerId,
    });

    // Exactly one node follows the feed, and the hub has exactly one subscriber for the topic.
    expect(holders(layerId)).toHaveLength(1);
    expect(hub.subscriptions(topic)).toHaveLength(1);
    const callbacks = new Set(
      hub.events
        .filter((e) => e.kind === 'request' && e.topic === topic)
        .map((e) => (e as { callback: string }).callback),
    );
    expect(callbacks.size).toBe(1);
    // Verified through the other node (the callback URLs are crossed), from the shared record.
    expect(hub.events.some((e) => e.kind === 'verified' && e.mode === 'subscribe' && e.topic === topic)).toBe(
      true,
    );

    // A push (signed with the subscription's secret) adds entry 3 for everyone.
    hub.setTopic('quakes', atom([quake(1), quake(2), quake(3)]));
    const [delivery] = await hub.publish(topic);
    expect(delivery?.status).toBe(200);
    for (const client of [onA, onB]) {
      await waitFor('the pushed entry', () => client.features.has(entryFeatureId(layerId, 'urn:quake:3')));
      // The status of the delivering node counts the layer's entries on the map.
      await waitFor('the entry count', () => status(client, layerId)?.entries === 3);
    }
    // The same delivery again changes nothing: the next op (ours) is the very next seq.
    const seq = onA.seq;
    expect((await hub.publish(topic))[0]?.status).toBe(200);
    onA.renameMap('Quakes, renamed');
    await waitFor('the rename', () => onA.pendingCount === 0 && onA.mapName === 'Quakes, renamed');
    expect(onA.seq).toBe(seq + 1);
    const edited = { ...quake(3), title: 'Quake 3 (revised)' };
    await hub.publish(topic, { body: atom([quake(1), quake(2), edited]) });
    await waitFor(
      'the revised entry',
      () =>
        onB.features.get(entryFeatureId(layerId, 'urn:quake:3'))?.properties.title === 'Quake 3 (revised)',
    );
    expect(onB.features.size).toBe(3);
  });

  it('renews the lease before it runs out', async () => {
    const verified = () =>
      hub.events.filter((e) => e.kind === 'verified' && e.mode === 'subscribe' && e.topic === topic).length;
    const before = verified();
    await waitFor('a lease renewal', () => verified() > before, { timeoutMs: HUB_LEASE_S * 2000 });
    expect(hub.subscriptions(topic)).toHaveLength(1);
    expect(status(onA, layerId)?.state).toBe('live');
  });

  it('ignores deliveries with a bad or missing signature, counting them in the metric and the status', async () => {
    const badBefore = await counterSum('websubBadSignatures');
    const forged = atom([quake(1), quake(2), quake(3), quake(4)]);
    expect((await hub.publish(topic, forged, { badSignature: true }))[0]?.status).toBe(202);
    expect((await hub.publish(topic, { body: forged, unsigned: true }))[0]?.status).toBe(202);
    expect(await counterSum('websubBadSignatures')).toBe(badBefore + 2);
    expect(await counterSum('websubBadSignatures', { reason: 'mismatch' })).toBeGreaterThanOrEqual(1);
    expect(await counterSum('websubBadSignatures', { reason: 'missing' })).toBeGreaterThanOrEqual(1);
    for (const client of [onA, onB]) {
      await waitFor('the bad signatures in the status', () => status(client, layerId)?.badSignatures === 2);
    }
    expect(status(onA, layerId)?.detail).toMatch(/2 deliveries with a bad signature ignored/);
    expect(onA.features.has(entryFeatureId(layerId, 'urn:quake:4'))).toBe(false);
    expect(onB.features.has(entryFeatureId(layerId, 'urn:quake:4'))).toBe(false);
  });

  it('answers a signed but hostile push (entity expansion) with 202 and a layer error, and keeps serving', async () => {
    const laughs = readFileSync(new URL('../src/feeds/fixtures/billion-laughs.xml', import.meta.url), 'utf8');
    expect((await hub.publish(topic, { body: laughs }))[0]?.status).toBe(202);
    await waitFor('the error status', () => status(onA, layerId)?.state === 'error');
    expect(status(onA, layerId)?.detail).toBe(
      'the hub pushed a document that is not a feed: the document declares XML entities, which are refused',
    );
    // The next good push brings the layer back.
    await hub.publish(topic, { body: atom([quake(1), quake(2), quake(3), quake(5)]) });
    await waitFor('live again', () => status(onB, layerId)?.state === 'live');
    expect(onB.features.has(entryFeatureId(layerId, 'urn:quake:5'))).toBe(true);
  });

  it('unsubscribes (verified) when the last client leaves, and releases the feed', async () => {
    onA.close();
    onB.close();
    await waitFor('a verified unsubscribe', () =>
      hub.events.some((e) => e.kind === 'verified' && e.mode === 'unsubscribe' && e.topic === topic),
    );
    expect(hub.subscriptions(topic)).toHaveLength(0);
    await waitFor('no node to hold the layer', () => holders(layerId).length === 0);
    // The hub has no subscriber left to push to.
    expect(await hub.publish(topic)).toEqual([]);
  });

  it('resumes a reopened map from the stored validators: a 304, then a new subscription', async () => {
    const seen = hub.events.length;
    const again = await join(a, map, 'back on A');
    await waitFor('the layer to be live again', () => status(again, layerId)?.state === 'live');
    const fetches = hub.events.slice(seen).filter((e) => e.kind === 'fetch' && e.topic === topic);
    expect(fetches[0]).toMatchObject({ status: 304 });
    expect(hub.subscriptions(topic)).toHaveLength(1);
    expect(again.features.size).toBe(4);
    again.close();
    await waitFor('the subscription to end', () => hub.subscriptions(topic).length === 0);
  });
});

describe('takeover', () => {
  it('hands the feed to another node with the map open when the holder’s last client leaves', async () => {
    const topic = hub.setTopic('handover', atom([{ id: 'h1', title: 'H1', lat: 5, lng: 5 }]));
    const map = await newMap('Handover');
    const onA = await join(a, map, 'handover on A');
    const onB = await join(b, map, 'handover on B');
    const layerId = onA.addLayer(topic, 'Handover');
    await waitFor('the layer to be live', () => status(onB, layerId)?.state === 'live');
    const first = hub.subscriptions(topic);
    expect(first).toHaveLength(1);
    const holderIsA = a.server.feeds.held().some((held) => held.layerId === layerId);
    const [leaving, staying, other] = holderIsA ? [onA, onB, b] : [onB, onA, a];
    leaving.close();
    await waitFor('the other node to take the feed', () =>
      other.server.feeds.held().some((held) => held.layerId === layerId && held.subscriptionId),
    );
    await waitFor('one new subscription', () => {
      const now = hub.subscriptions(topic);
      return now.length === 1 && now[0]?.callback !== first[0]?.callback;
    });
    hub.setTopic(
      'handover',
      atom([
        { id: 'h1', title: 'H1', lat: 5, lng: 5 },
        { id: 'h2', title: 'H2', lat: 6, lng: 6 },
      ]),
    );
    await waitFor('a push to the new subscriber', async () => {
      await hub.publish(topic);
      return staying.features.has(entryFeatureId(layerId, 'h2'));
    });
    expect(holders(layerId)).toHaveLength(1);
    staying.close();
    await waitFor('the subscription to end', () => hub.subscriptions(topic).length === 0);
  });
});

describe('holder crash', () => {
  it('after kill -9 of the holder, another node with the map open takes the feed once the lock expires', async () => {
    const topic = hub.setTopic('crash', atom([{ id: 'c1', title: 'C1', lat: 7, lng: 7 }]));
    const map = await newMap('Crash');
    // The holder is its own process; its hub callbacks land on node A (its public URL).
    const doomed = await spawnNode({
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_CHANNEL_PREFIX: redisPrefix,
      NODE_ID: uniqueName('doomed'),
      FEED_FETCH_ALLOW: '127.0.0.1/32',
      FEED_LOCK_TTL_S: '3',
      MERIDIAN_PUBLIC_URL: a.httpUrl,
    });
    try {
      const onDoomed = await join(doomed, map, 'on the doomed node');
      const layerId = onDoomed.addLayer(topic, 'Crash');
      await waitFor('the layer to be live', () => status(onDoomed, layerId)?.state === 'live');
      const onA = await join(a, map, 'survivor on A');
      expect(a.server.feeds.held().some((held) => held.layerId === layerId)).toBe(false);
      const callbacksBefore = hub.subscriptions(topic).map((sub) => sub.callback);
      expect(callbacksBefore).toHaveLength(1);

      doomed.kill('SIGKILL');
      await doomed.exited;
      await waitFor('node A to take the feed', () =>
        a.server.feeds.held().some((held) => held.layerId === layerId && held.subscriptionId),
      );
      await waitFor('a subscription of node A', () =>
        hub.subscriptions(topic).some((sub) => !callbacksBefore.includes(sub.callback)),
      );
      hub.setTopic(
        'crash',
        atom([
          { id: 'c1', title: 'C1', lat: 7, lng: 7 },
          { id: 'c2', title: 'C2', lat: 8, lng: 8 },
        ]),
      );
      await waitFor('a push after the takeover', async () => {
        await hub.publish(topic);
        return onA.features.has(entryFeatureId(layerId, 'c2'));
      });
      await waitFor('the layer to be live again', () => status(onA, layerId)?.state === 'live');
      onA.close();
      await waitFor('node A to unsubscribe', () =>
        hub.events.some(
          (e) =>
            e.kind === 'verified' &&
            e.mode === 'unsubscribe' &&
            e.topic === topic &&
            !callbacksBefore.includes(e.callback),
        ),
      );
    } finally {
      await doomed.stop();
    }
  });
});

describe('layer removal and denial', () => {
  it('unsubscribes (verified) when the layer is removed while the map stays open', async () => {
    const topic = hub.setTopic('removable', atom([{ id: 'r1', title: 'R', lat: 2, lng: 2 }]));
    const map = await newMap('Removable');
    const client = await join(a, map, 'remover');
    const layerId = client.addLayer(topic, 'Removable');
    await waitFor('the layer to be live', () => status(client, layerId)?.state === 'live');
    expect(hub.subscriptions(topic)).toHaveLength(1);
    // The callback lands on node B, where the map is not open: B reads the layer's entries from
    // the database to see what changed, so a push commits only the entries that did change.
    expect(b.server.feeds.held()).toEqual([]);
    const r1 = { id: 'r1', title: 'R', lat: 2, lng: 2 };
    const push = async (r2Title: string) => {
      const body = atom([r1, { id: 'r2', title: r2Title, lat: 2.1, lng: 2 }]);
      expect((await hub.publish(topic, { body }))[0]?.status).toBe(200);
      await waitFor(
        'the pushed entry',
        () => client.features.get(entryFeatureId(layerId, 'r2'))?.properties.title === r2Title,
      );
    };
    await push('R2');
    const r1Version = client.features.get(entryFeatureId(layerId, 'r1'))?.version;
    await push('R2 revised');
    expect(client.features.get(entryFeatureId(layerId, 'r1'))?.version).toBe(r1Version);
    client.removeLayer(layerId);
    await waitFor('a verified unsubscribe', () =>
      hub.events.some((e) => e.kind === 'verified' && e.mode === 'unsubscribe' && e.topic === topic),
    );
    expect(hub.subscriptions(topic)).toHaveLength(0);
    expect(client.features.has(entryFeatureId(layerId, 'r1'))).toBe(false);
    expect(holders(layerId)).toHaveLength(0);
    client.close();
  });

  it("shows a hub's denial (§5.2) as the layer error", async () => {
    const topic = hub.setTopic('denied', atom([{ id: 'n1', title: 'N', lat: 3, lng: 3 }]));
    deniedTopics.push(topic);
    const map = await newMap('Denied');
    const client = await join(b, map, 'denied');
    const layerId = client.addLayer(topic, 'Denied');
    await waitFor('the denial', () => status(client, layerId)?.state === 'error');
    expect(status(client, layerId)?.detail).toBe(
      'the hub denied the subscription: this hub does not serve that topic to you',
    );
    expect(hub.events.some((e) => e.kind === 'denied' && e.topic === topic && e.status === 200)).toBe(true);
    expect(hub.subscriptions(topic)).toHaveLength(0);
    client.close();
  });
});

describe('feeds without a hub, and failures', () => {
  it('polls a feed without a hub with conditional requests (304) and picks up changes', async () => {
    const feed = hub.setTopic('stations', atom([{ id: 's1', title: 'Station 1', lat: 45.7, lng: 4.8 }]), {
      advertiseHub: false,
    });
    const map = await newMap('Stations');
    const client = await join(a, map, 'poller');
    const layerId = client.addLayer(feed, 'Stations');
    await waitFor('the first entry', () => client.features.has(entryFeatureId(layerId, 's1')));
    await waitFor('the polling status', () => status(client, layerId)?.state === 'polling');
    expect(status(client, layerId)).toMatchObject({ mode: 'poll', detail: 'polling every 1 s (no hub)' });
    // A poll with nothing new is answered 304 to the ETag we sent.
    await waitFor('a 304', () =>
      hub.events.some((e) => e.kind === 'fetch' && e.topic === feed && e.status === 304 && e.ifNoneMatch),
    );
    hub.setTopic(
      'stations',
      atom([
        { id: 's1', title: 'Station 1', lat: 45.7, lng: 4.8 },
        { id: 's2', title: 'Station 2', lat: 45.71, lng: 4.81 },
      ]),
      { advertiseHub: false },
    );
    await waitFor('the polled change', () => client.features.has(entryFeatureId(layerId, 's2')), {
      timeoutMs: 5000,
    });
    expect(hub.subscriptions(feed)).toHaveLength(0);
    client.close();
  });

  it('shows an unreachable hub, a bad feed and a private address as layer errors; the node carries on', async () => {
    const closedPort = await freePort();
    const withDeadHub = hub.setTopic('dead-hub', atom([{ id: 'd1', title: 'D', lat: 1, lng: 1 }]), {
      hubUrl: `http://127.0.0.1:${closedPort}/hub`,
    });
    const notAFeed = hub.setTopic('not-a-feed', 'hello, I am plain text', { contentType: 'text/plain' });
    const tooLarge = hub.setTopic('too-large', `<feed>${' '.repeat(3 * 1024 * 1024)}</feed>`);
    const map = await newMap('Failures');
    const onA = await join(a, map, 'failures on A');
    const deadHub = onA.addLayer(withDeadHub, 'Dead hub');
    const bad = onA.addLayer(notAFeed, 'Not a feed');
    await waitFor('the dead hub error', () => status(onA, deadHub)?.state === 'error');
    expect(status(onA, deadHub)?.detail).toMatch(/^hub unreachable: /);
    // The entries fetched before subscribing were still committed.
    expect(onA.features.has(entryFeatureId(deadHub, 'd1'))).toBe(true);
    await waitFor('the bad feed error', () => status(onA, bad)?.state === 'error');
    expect(status(onA, bad)?.detail).toBe('not a feed: neither XML (Atom, RSS) nor GeoJSON');
    const huge = onA.addLayer(tooLarge, 'Too large');
    await waitFor('the size refusal', () => status(onA, huge)?.state === 'error');
    expect(status(onA, huge)?.detail).toBe('feed too large: the response is over 2097152 bytes');
    onA.close();

    // Node C has no allow-list: a loopback feed is refused before any connection is made.
    const privateMap = await newMap('Private');
    const onC = await join(c, privateMap, 'on C');
    const quakeFetches = () =>
      hub.events.filter((e) => e.kind === 'fetch' && e.topic === hub.topicUrl('quakes')).length;
    const fetchesBefore = quakeFetches();
    const refused = onC.addLayer(hub.topicUrl('quakes'), 'Private');
    await waitFor('the refusal', () => status(onC, refused)?.state === 'error');
    expect(status(onC, refused)?.detail).toBe('refused: 127.0.0.1 is not a public address');
    expect(quakeFetches()).toBe(fetchesBefore);

    // The name `localhost` is allowed there; without MERIDIAN_PUBLIC_URL a feed with a hub is polled.
    const byName = onC.addLayer(hub.topicUrl('quakes').replace('127.0.0.1', 'localhost'), 'By name');
    await waitFor('the polling status', () => status(onC, byName)?.state === 'polling');
    expect(status(onC, byName)?.detail).toBe(
      'polling every 1 s (no MERIDIAN_PUBLIC_URL for the hub to call back)',
    );
    expect(onC.features.has(entryFeatureId(byName, 'urn:quake:1'))).toBe(true);

    // The node is fine: healthy, and ops still commit.
    expect((await fetch(`${c.httpUrl}/healthz`)).status).toBe(200);
    onC.renameMap('Still working');
    await waitFor('the rename', () => onC.mapName === 'Still working' && onC.pendingCount === 0);
    onC.close();
  });

  it('answers unknown callbacks with 404 (verification) and 410 (delivery)', async () => {
    const verify = await fetch(
      `${a.httpUrl}/websub/nope?hub.mode=subscribe&hub.topic=${encodeURIComponent(hub.topicUrl('quakes'))}&hub.challenge=x`,
    );
    expect(verify.status).toBe(404);
    const delivery = await fetch(`${b.httpUrl}/websub/nope`, { method: 'POST', body: '<feed/>' });
    expect(delivery.status).toBe(410);
    const wellFormed = await fetch(`${b.httpUrl}/websub/AAAAAAAAAAAAAAAAAAAAAA`, {
      method: 'POST',
      body: '<feed/>',
    });
    expect(wellFormed.status).toBe(410);
    // A delivery over the cap (a feed document's 2 MiB) is refused unread.
    const huge = await postJson(`${a.httpUrl}/websub/AAAAAAAAAAAAAAAAAAAAAA`, 'x'.repeat(3 * 1024 * 1024));
    expect(huge.status).toBe(413);
    // Whatever hub.mode a caller sends, the metric's labels stay the known few.
    await fetch(
      `${a.httpUrl}/websub/AAAAAAAAAAAAAAAAAAAAAA?hub.mode=${'z'.repeat(50)}&hub.topic=x&hub.challenge=y`,
    );
    const modes = (await a.server.metrics.websubVerifications.get()).values.map((v) => v.labels.mode);
    expect(new Set(modes).size).toBeLessThanOrEqual(4);
    expect(modes).toContain('other');
    expect((await fetch(`${a.httpUrl}/healthz`)).status).toBe(200);
  });
});
