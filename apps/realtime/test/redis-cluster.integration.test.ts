import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Database, openDatabase } from '@meridian/db';
import { stateHash } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../src/bus/bus.ts';
import { createRedisClusterBus } from '../src/bus/redis-cluster-bus.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { createDataDir, createPostgresDatabase, uniqueName } from './databases.ts';
import {
  createMapVia,
  openClient,
  point,
  startNode,
  type TestNode,
  tokenVia,
  waitForSeq,
} from './harness.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);

// A real three-master Redis Cluster on free loopback ports, in a temp folder that holds each
// node's nodes.conf (so a restarted master comes back as the same node, owning the same slots).
let clusterDir: string;
let ports: number[] = [];
const servers = new Map<number, ChildProcess>();
let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
let data: Awaited<ReturnType<typeof createDataDir>>;
const channelPrefix = `${uniqueName('meridian-test')}:`;
const nodes: { node: TestNode; db: Database; bus: Bus }[] = [];
const clients: MeridianClient[] = [];

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createTcpServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Three ports P with P and P + 10000 (the cluster bus port Redis derives) both free. */
async function freePorts(count: number): Promise<number[]> {
  const found: number[] = [];
  for (let attempt = 0; attempt < 200 && found.length < count; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (found.includes(port)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) found.push(port);
  }
  if (found.length < count) throw new Error('no free loopback ports for the Redis Cluster');
  return found;
}

const cli = async (port: number, ...args: string[]) =>
  (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout;

async function startRedis(port: number): Promise<void> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ],
    { cwd: clusterDir, stdio: 'ignore' },
  );
  servers.set(port, child);
  await waitFor(`redis on ${port}`, async () => (await cli(port, 'PING')).trim() === 'PONG');
}

async function stopRedis(port: number): Promise<void> {
  const child = servers.get(port);
  servers.delete(port);
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const clusterOk = () =>
  waitFor(
    'cluster_state:ok on every master',
    async () => {
      for (const port of ports)
        if (!(await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
      return true;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );

async function startRealtimeNode(): Promise<void> {
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'redis-cluster-test');
  const db = await openDatabase({ databaseUrl: database.url, migrate: false, poolMax: 4 });
  const bus = await createRedisClusterBus({
    rootNodes: ports.map((port) => `redis://127.0.0.1:${port}`),
    channelPrefix,
    logger,
    metrics: createMetrics({ processMetrics: false, nodeId: 'redis-cluster-test' }),
  });
  nodes.push({ node: await startNode({ db, bus, dataDir: data.dir }), db, bus });
}

beforeAll(async () => {
  clusterDir = await mkdtemp(path.join(tmpdir(), 'meridian-redis-cluster-'));
  ports = await freePorts(3);
  await Promise.all(ports.map(startRedis));
  await run('redis-cli', [
    '--cluster',
    'create',
    ...ports.map((port) => `127.0.0.1:${port}`),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  await clusterOk();
  database = await createPostgresDatabase();
  // Idempotent: the shared helper may or may not migrate the database it creates.
  await (await openDatabase({ databaseUrl: database.url, migrate: true, poolMax: 1 })).close();
  data = await createDataDir();
  await startRealtimeNode();
  await startRealtimeNode();
});

afterAll(async () => {
  for (const client of clients) client.close();
  for (const { node, bus, db } of nodes) {
    await node.stop();
    await bus.close();
    await db.close();
  }
  await Promise.all([...servers.keys()].map(stopRedis));
  if (clusterDir) await rm(clusterDir, { recursive: true, force: true });
  await database?.drop();
  await data?.remove();
});

/** The port of the master that owns `channel`'s hash slot, from CLUSTER KEYSLOT and CLUSTER SLOTS. */
async function ownerOf(channel: string): Promise<number> {
  const slot = Number((await cli(ports[0] ?? 0, 'CLUSTER', 'KEYSLOT', channel)).trim());
  const redis = createClient({ url: `redis://127.0.0.1:${ports[0]}` });
  await redis.connect();
  try {
    const ranges = (await redis.sendCommand(['CLUSTER', 'SLOTS'])) as [number, number, [string, number]][];
    const range = ranges.find(([start, end]) => start <= slot && slot <= end);
    if (!range) throw new Error(`no master owns slot ${slot}`);
    return range[2][1];
  } finally {
    await redis.close();
  }
}

/** Sharded subscribers of `channel` on each master, by port. */
async function shardSubscribers(channel: string): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (const port of ports) {
    const reply = (await cli(port, 'PUBSUB', 'SHARDNUMSUB', channel)).trim().split('\n');
    counts[port] = Number(reply[1] ?? 0);
  }
  return counts;
}

describe('Redis Cluster bus (sharded pub/sub)', () => {
  it('carries ops and presence across nodes on the map’s shard, and survives a restart of that shard’s master', async () => {
    const [one, two] = nodes.map((entry) => entry.node);
    if (!one || !two) throw new Error('realtime nodes did not start');
    const created = await createMapVia(one.httpUrl, 'Cluster map');
    const mapId = created.map.id;
    const token = await tokenVia(two.httpUrl, mapId, created.editKey);
    const onOne = await openClient(one.wsUrl, { token, mapId, name: 'On one' });
    const onTwo = await openClient(two.wsUrl, { token, mapId, name: 'On two' });
    clients.push(onOne, onTwo);

    // Both nodes subscribe on the one master owning the map's slot, and on no other.
    const channel = `${channelPrefix}{map:${mapId}}`;
    const owner = await ownerOf(channel);
    await waitFor('both nodes subscribed on the owning shard', async () => {
      const counts = await shardSubscribers(channel);
      return counts[owner] === 2 && ports.every((port) => port === owner || counts[port] === 0);
    });

    const ids = Array.from({ length: 6 }, (_, i) => onTwo.createFeature(point(i, i), { title: `two-${i}` }));
    // A client edits only features it has: one must receive two's creations over the bus first.
    await waitForSeq([onOne, onTwo], 6);
    for (const id of ids.slice(0, 3)) onOne.moveFeature(id, point(9, 9));
    await waitForSeq([onOne, onTwo], 9);
    expect(stateHash(onOne.replica.confirmed)).toBe(stateHash(onTwo.replica.confirmed));
    onTwo.setCursor([12.5, 41.9]);
    await waitFor('two’s cursor on one', () => onOne.peers.get(onTwo.clientId)?.cursor?.[0] === 12.5);

    // Kill the owning master: edits go on (acked from Postgres) while the bus drops them.
    await stopRedis(owner);
    await waitFor('the bus to notice the lost master', () => nodes.every(({ bus }) => !bus.isReady()));
    for (let i = 0; i < 4; i++) onOne.createFeature(point(20 + i, 0), { title: `during-${i}` });
    for (let i = 0; i < 4; i++) onTwo.createFeature(point(30 + i, 0), { title: `during-two-${i}` });
    await waitFor('every op acknowledged', () => onOne.pendingCount === 0 && onTwo.pendingCount === 0);

    // Same port, same nodes.conf: the master rejoins owning the same slots.
    await startRedis(owner);
    await clusterOk();
    await waitFor('the buses to be ready again', () => nodes.every(({ bus }) => bus.isReady()), {
      timeoutMs: 20_000,
    });
    await waitFor(
      'both nodes resubscribed on the owner',
      async () => (await shardSubscribers(channel))[owner] === 2,
      {
        timeoutMs: 20_000,
      },
    );

    onTwo.createFeature(point(40, 0), { title: 'after' });
    onOne.createFeature(point(41, 0), { title: 'after-one' });
    await waitForSeq([onOne, onTwo], 19, 20_000);
    expect(stateHash(onOne.replica.confirmed)).toBe(stateHash(onTwo.replica.confirmed));
    expect(onOne.features.size).toBe(6 + 4 + 4 + 2);
    onTwo.setCursor([2.35, 48.85]);
    await waitFor(
      'two’s cursor on one after the restart',
      () => onOne.peers.get(onTwo.clientId)?.cursor?.[0] === 2.35,
    );
  });
});
