import { type Database, loadSnapshot, openDatabase, readOps } from '@meridian/db';
import { createMapState, ErrorCode, PROTOCOL_VERSION, stateHash } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildNode, spawnNode } from './child-node.ts';
import { createClusterStorage } from './databases.ts';
import { type ClusterNode, createMapVia, openClient, point, startTestCluster, tokenVia } from './harness.ts';
import { startNodeBehindPostgresProxy } from './postgres-behind-proxy.ts';
import { RawSocket } from './raw-socket.ts';
import { RedisServer } from './redis-server.ts';
import { TcpProxy } from './tcp-proxy.ts';
import { sleep, waitFor } from './wait.ts';

// Faults with real processes and servers: a node killed with SIGKILL, a Redis that dies and
// comes back, a Postgres that becomes unreachable. Acknowledged ops must survive all of them.

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Tracked {
  client: MeridianClient;
  acked: Set<string>;
  /** Final refusals: the op was dropped. */
  rejected: Map<string, string>;
  /** Transient refusals: the op stayed pending and was retried. */
  retried: Map<string, string>;
}

function track(client: MeridianClient): Tracked {
  const tracked: Tracked = { client, acked: new Set(), rejected: new Map(), retried: new Map() };
  client.on('ack', (opId) => tracked.acked.add(opId));
  client.on('opRejected', (event) => {
    (event.final ? tracked.rejected : tracked.retried).set(event.opId, event.code);
  });
  cleanups.push(() => client.close());
  return tracked;
}

/** Each client creates features and moves its own, `rounds` times, `delayMs` apart. */
async function edit(tracked: Tracked[], rounds: number, delayMs: number): Promise<void> {
  await Promise.all(
    tracked.map(async ({ client }, c) => {
      const mine: string[] = [];
      for (let i = 0; i < rounds; i++) {
        if (i % 3 === 2 && mine.length > 0) client.moveFeature(mine[mine.length - 1] as string, point(c, i));
        else mine.push(client.createFeature(point(c * 10, i), { title: `${c}-${i}` }));
        await sleep(delayMs);
      }
    }),
  );
}

type ServerFrameLike = Awaited<ReturnType<RawSocket['next']>>;

async function readOpsDirect(url: string, mapId: string) {
  const db = await openDatabase({ databaseUrl: url, migrate: false, poolMax: 1 });
  try {
    return await readOps(db, mapId, 1, 1_000_000);
  } finally {
    await db.close();
  }
}

async function expectConverged(db: Database, mapId: string, tracked: Tracked[]): Promise<void> {
  const head = async () => (await loadSnapshot(db, mapId))?.seq ?? -1;
  await waitFor(
    'every client to apply the whole op log with nothing pending',
    async () => {
      const seq = await head();
      return tracked.every(({ client }) => client.joined && client.pendingCount === 0 && client.seq === seq);
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  ).catch(async (error: Error) => {
    const states = tracked.map(({ client }) => `${client.status.kind}/${client.seq}/${client.pendingCount}`);
    throw new Error(`${error.message}: db at ${await head()}, clients ${states.join(' ')}`);
  });
  const snapshot = await loadSnapshot(db, mapId);
  if (!snapshot) throw new Error('map vanished');
  const truth = stateHash(createMapState(snapshot.map.name, snapshot.features));
  for (const { client } of tracked) expect(stateHash(client.replica.confirmed)).toBe(truth);

  // Every acknowledged op is in the op log exactly once; no refused op is.
  const logged = await db.prisma.op.findMany({ where: { mapId }, select: { opId: true, clientId: true } });
  const keys = logged.map((row) => `${row.clientId}/${row.opId}`);
  expect(new Set(keys).size).toBe(keys.length);
  for (const { client, acked, rejected } of tracked) {
    for (const opId of acked) expect(keys).toContain(`${client.clientId}/${opId}`);
    for (const [opId, code] of rejected) {
      // A commit whose reply was lost in a cut may have landed: then it is in the log and the
      // client learnt it from the broadcast; anything else refused must not be there.
      if (code !== ErrorCode.STORAGE_UNAVAILABLE) expect(keys).not.toContain(`${client.clientId}/${opId}`);
    }
  }
}

describe('faults', () => {
  it('kill -9 of one node while clients edit: acked ops survive, survivors converge, its users leave', async () => {
    const storage = await createClusterStorage({ name: 'meridian-kill' });
    cleanups.push(() => storage.remove());
    const env = { ...storage.nodeEnv, PRESENCE_HEARTBEAT_MS: '500', PRESENCE_TTL_MS: '2000' };
    const [a, b, c] = (await Promise.all(
      ['a', 'b', 'c'].map(async (name) => {
        const node = await spawnNode({ ...env, NODE_ID: `kill-${name}` });
        cleanups.push(() => node.stop());
        return node;
      }),
    )) as [ChildNode, ChildNode, ChildNode];
    // B's clients reach it through a proxy, as through a load balancer that moves them on.
    const balancer = await TcpProxy.start(b.port);
    cleanups.push(() => balancer.close());

    const created = await createMapVia(a.httpUrl, 'Kill -9');
    const mapId = created.map.id;
    const token = await tokenVia(a.httpUrl, mapId, created.editKey);
    const viaBalancer = `ws://127.0.0.1:${balancer.port}/ws`;
    const editors = [
      track(await openClient(a.wsUrl, { token, mapId, name: 'a1' })),
      track(await openClient(a.wsUrl, { token, mapId, name: 'a2' })),
      track(await openClient(viaBalancer, { token, mapId, name: 'b1' })),
      track(await openClient(viaBalancer, { token, mapId, name: 'b2' })),
      track(await openClient(c.wsUrl, { token, mapId, name: 'c1' })),
      track(await openClient(c.wsUrl, { token, mapId, name: 'c2' })),
    ];
    // Pinned to B with no way elsewhere: once B dies, it must vanish from everyone's presence.
    const ghost = track(await openClient(b.wsUrl, { token, mapId, name: 'ghost' }));
    // Listed once it moves its cursor (until then it is only counted in the audience).
    ghost.client.setCursor([1, 1]);
    const watcher = editors[0]?.client as MeridianClient;
    await waitFor('the ghost to be visible on A', () => watcher.peers.has(ghost.client.clientId));

    const editing = edit(editors, 24, 40);
    await sleep(400);
    b.kill('SIGKILL');
    balancer.retarget(c.port);
    await b.exited;
    await editing;

    const db = await openDatabase({ databaseUrl: storage.databaseUrl, migrate: false, poolMax: 2 });
    cleanups.push(() => db.close());
    await expectConverged(db, mapId, editors);
    await waitFor('the ghost to leave A’s and C’s presence', () =>
      editors.every(({ client }) => !client.peers.has(ghost.client.clientId)),
    );
    expect(editors.reduce((n, e) => n + e.acked.size, 0)).toBeGreaterThan(100);
  }, 120_000);

  it('Redis stopped and restarted mid-edit: the nodes catch up from the op log and converge', async () => {
    const redis = await RedisServer.start();
    cleanups.push(() => redis.stop());
    const cluster = await startTestCluster({
      nodes: 2,
      name: 'meridian-redis',
      redisUrl: redis.url,
      env: { PRESENCE_HEARTBEAT_MS: '500', PRESENCE_TTL_MS: '2000' },
    });
    cleanups.push(() => cluster.stop());
    const [one, two] = cluster.nodes as [ClusterNode, ClusterNode];

    const created = await createMapVia(one.httpUrl, 'Redis outage');
    const mapId = created.map.id;
    const token = await tokenVia(one.httpUrl, mapId, created.editKey);
    const editors = [
      track(await openClient(one.wsUrl, { token, mapId, name: 'x' })),
      track(await openClient(two.wsUrl, { token, mapId, name: 'y' })),
    ];
    const editing = edit(editors, 40, 50);
    await sleep(500);
    await redis.stop();
    await sleep(1000);
    await redis.restart();
    await editing;

    await expectConverged(one.db, mapId, editors);
    const reconnects = await one.server.metrics.busReconnects.get();
    expect(reconnects.values[0]?.value ?? 0).toBeGreaterThan(0);
    const [x, y] = editors.map((e) => e.client) as [MeridianClient, MeridianClient];
    await waitFor('presence to be whole again', () => x.peers.has(y.clientId) && y.peers.has(x.clientId));
  });

  it('Postgres unreachable: ops are refused with STORAGE_UNAVAILABLE and kept, then committed once it recovers', async () => {
    const { node, proxy, databaseUrl } = await startNodeBehindPostgresProxy(cleanups, 'meridian-pg');

    const created = await createMapVia(node.httpUrl, 'Postgres outage');
    const mapId = created.map.id;
    const token = await tokenVia(node.httpUrl, mapId, created.editKey);
    const editors = [
      track(await openClient(node.wsUrl, { token, mapId, name: 'p' })),
      track(await openClient(node.wsUrl, { token, mapId, name: 'q' })),
    ];
    const [p] = editors as [Tracked, Tracked];
    await edit(editors, 6, 20);
    await waitFor('the first edits to be acked', () => editors.every((e) => e.client.pendingCount === 0));

    proxy.cut();
    const during = Array.from({ length: 5 }, (_, i) =>
      p.client.submit({
        kind: 'feature.create',
        feature: {
          type: 'Feature',
          id: `cut-${i}`,
          geometry: point(50, i),
          properties: { title: `cut ${i}` },
          version: 0,
        },
      }),
    );
    await waitFor('the ops to be refused', () => during.every((opId) => p.retried.has(opId)), {
      timeoutMs: 30_000,
    });
    expect(during.map((opId) => p.retried.get(opId))).toEqual(
      during.map(() => ErrorCode.STORAGE_UNAVAILABLE),
    );
    // A transient refusal keeps the edit: still pending, still on this person's map.
    expect(p.rejected.size).toBe(0);
    expect(during.every((opId) => p.client.replica.pending.some((pending) => pending.opId === opId))).toBe(
      true,
    );
    expect((await fetch(`${node.httpUrl}/readyz`)).status).toBe(503);

    proxy.restore();
    await waitFor(
      'readiness to come back',
      async () => (await fetch(`${node.httpUrl}/readyz`)).status === 200,
      {
        timeoutMs: 20_000,
      },
    );
    await edit(editors, 6, 20);
    const direct = await openDatabase({ databaseUrl, migrate: false, poolMax: 2 });
    cleanups.push(() => direct.close());
    await expectConverged(direct, mapId, editors);
    // Every edit made during the outage is in the map exactly once.
    const titles = [...p.client.features.values()].map((f) => f.properties.title);
    expect(titles.filter((t) => t?.startsWith('cut ')).sort()).toEqual(during.map((_, i) => `cut ${i}`));
    const logged = await direct.prisma.op.findMany({ where: { mapId }, select: { opId: true } });
    for (const opId of during) expect(logged.filter((row) => row.opId === opId)).toHaveLength(1);
  });

  it('a join while Postgres is unreachable gets a typed transient error naming the map; the same socket joins once it is back', async () => {
    const { node, proxy } = await startNodeBehindPostgresProxy(cleanups, 'meridian-join');
    const created = await createMapVia(node.httpUrl, 'Join during an outage');
    const mapId = created.map.id;
    const token = await tokenVia(node.httpUrl, mapId, created.editKey);

    proxy.cut();
    const socket = await RawSocket.open(`${node.wsUrl}?token=${token}`);
    cleanups.push(() => socket.terminate());
    socket.send({ type: 'hello', v: PROTOCOL_VERSION, clientId: 'joiner', name: 'Joiner', color: '#112233' });
    await socket.next('welcome');
    socket.send({ type: 'join', mapId });
    const failed = await socket.next('error', (f) => f.ref === 'join', 30_000);
    expect(failed).toMatchObject({ code: ErrorCode.STORAGE_UNAVAILABLE, ref: 'join', mapId });
    expect(failed.retryAfterMs as number).toBeGreaterThan(0);
    // Not joined, cleanly: an op now is refused as such (not queued behind a broken join).
    socket.send({ type: 'op', mapId, opId: 'o-early', op: { kind: 'map.rename', name: 'Too early' } });
    expect(await socket.next('reject', (f) => f.opId === 'o-early')).toMatchObject({
      code: ErrorCode.NOT_JOINED,
    });

    proxy.restore();
    // The same socket retries its join (as the client does after retryAfterMs) until storage answers.
    let joined: ServerFrameLike | undefined;
    await waitFor(
      'a retried join on the same socket to succeed',
      async () => {
        const before = socket.frames.length;
        socket.send({ type: 'join', mapId });
        await waitFor(
          'an answer to the join',
          () =>
            socket.frames
              .slice(before)
              .find((f) => f.type === 'snapshot' || (f.type === 'error' && f.ref === 'join')),
          { timeoutMs: 30_000 },
        );
        joined = socket.frames.slice(before).find((f) => f.type === 'snapshot');
        return joined !== undefined;
      },
      { timeoutMs: 40_000, intervalMs: 500 },
    );
    expect(joined).toMatchObject({ mapId, role: 'edit' });
    socket.send({ type: 'op', mapId, opId: 'o-after', op: { kind: 'map.rename', name: 'Back' } });
    expect(await socket.next('ack', (f) => f.opId === 'o-after')).toMatchObject({ mapId });
  });

  it('with Postgres unreachable, a resume and a sync within the in-memory tail are still answered', async () => {
    const { node, proxy, databaseUrl } = await startNodeBehindPostgresProxy(cleanups, 'meridian-tail');
    const created = await createMapVia(node.httpUrl, 'Tail');
    const mapId = created.map.id;
    const token = await tokenVia(node.httpUrl, mapId, created.editKey);
    const editor = track(await openClient(node.wsUrl, { token, mapId, name: 'editor' }));
    await edit([editor], 12, 5);
    await waitFor('the edits to be acked', () => editor.client.pendingCount === 0 && editor.client.seq >= 12);
    const head = editor.client.seq;
    const truth = (await readOpsDirect(databaseUrl, mapId)).map((r) => `${r.seq}/${r.opId}`);

    proxy.cut();
    // A client that saw up to head - 5 comes back: the five it missed come from memory.
    const resumer = await RawSocket.open(`${node.wsUrl}?token=${token}`);
    cleanups.push(() => resumer.terminate());
    const answer = await resumer.joinMap(mapId, 'resumer', { lastSeq: head - 5 });
    expect(answer).toMatchObject({ type: 'replay', fromSeq: head - 4, toSeq: head, map: { id: mapId } });
    const replayed = (answer.ops as { seq: number; opId: string }[]).map((r) => `${r.seq}/${r.opId}`);
    expect(replayed).toEqual(truth.slice(head - 5));
    resumer.send({ type: 'sync', mapId, fromSeq: 1, toSeq: head });
    const synced = await resumer.next('replay', (f) => f.fromSeq === 1);
    expect((synced.ops as { seq: number; opId: string }[]).map((r) => `${r.seq}/${r.opId}`)).toEqual(truth);
    proxy.restore();
  });
});
