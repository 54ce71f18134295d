import { type Database, openDatabase } from '@meridian/db';
import { MeridianClient } from '@meridian/protocol/client';
import WebSocket from 'ws';
import type { Bus } from '../src/bus/bus.ts';
import { createMemoryBus } from '../src/bus/memory-bus.ts';
import { createRedisBus } from '../src/bus/redis-bus.ts';
import type { Clock } from '../src/clock.ts';
import { type Config, loadConfig } from '../src/env.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { createServer, type RealtimeServer } from '../src/server.ts';
import {
  type ClusterStorage,
  createClusterStorage,
  createEmbeddedDataDir,
  REDIS_URL,
  uniqueName,
} from './databases.ts';
import { waitFor } from './wait.ts';

/** Shared by every node of a test cluster (and by child-process nodes), as a deployment would. */
export const TEST_SECRET = 'meridian-test-secret-0123456789abcdef';
const LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';

export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    MERIDIAN_AUTH_SECRET: TEST_SECRET,
    MERIDIAN_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    NODE_ID: uniqueName('node'),
    LOG_LEVEL,
    // No balancer checks a test node: close at once unless a test says otherwise.
    DRAIN_GRACE_MS: '0',
    ...env,
  });
}

export interface TestNode {
  server: RealtimeServer;
  config: Config;
  port: number;
  /** ws://…/ws */
  wsUrl: string;
  /** http://… */
  httpUrl: string;
  stop(): Promise<void>;
}

export async function startNode(options: {
  db: Database;
  bus: Bus;
  dataDir: string;
  env?: Record<string, string>;
  clock?: Clock;
}): Promise<TestNode> {
  const config = testConfig(options.dataDir, options.env);
  const logger = createLogger(config.logLevel, config.nodeId);
  const server = createServer({ config, db: options.db, bus: options.bus, logger, clock: options.clock });
  const port = await server.listen(0);
  return {
    server,
    config,
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    httpUrl: `http://127.0.0.1:${port}`,
    stop: () => server.close(),
  };
}

export interface EmbeddedNode extends TestNode {
  db: Database;
  dataDir: string;
}

/**
 * One node as `npm start` runs with no environment: embedded PGlite (copied from the run's
 * migrated template) and the in-process bus. `stop` also closes the database and removes its folder.
 */
export async function startEmbeddedNode(
  options: { env?: Record<string, string>; clock?: Clock } = {},
): Promise<EmbeddedNode> {
  const data = await createEmbeddedDataDir();
  const db = await openDatabase({ dataDir: data.dir });
  const node = await startNode({ db, bus: createMemoryBus(), dataDir: data.dir, ...options });
  let stopped: Promise<void> | null = null;
  return {
    ...node,
    db,
    dataDir: data.dir,
    stop() {
      stopped ??= (async () => {
        await node.stop();
        await db.close();
        await data.remove();
      })();
      return stopped;
    },
  };
}

export interface ClusterNode extends TestNode {
  db: Database;
  bus: Bus;
}

/** A node as a deployment runs it: its own Postgres pool and its own Redis connections. */
export async function startClusterNode(options: {
  databaseUrl: string;
  redisPrefix: string;
  dataDir: string;
  redisUrl?: string;
  env?: Record<string, string>;
}): Promise<ClusterNode> {
  const config = testConfig(options.dataDir, options.env);
  const logger = createLogger(config.logLevel, config.nodeId);
  const metrics = createMetrics({ processMetrics: false, nodeId: config.nodeId });
  const db = await openDatabase({
    databaseUrl: options.databaseUrl,
    migrate: false,
    poolMax: 4,
    onConnectionError: () => {},
  });
  const bus = await createRedisBus({
    url: options.redisUrl ?? REDIS_URL,
    channelPrefix: options.redisPrefix,
    logger,
    metrics,
  });
  const server = createServer({ config, db, bus, logger, metrics });
  const port = await server.listen(0);
  let stopped: Promise<void> | null = null;
  return {
    server,
    config,
    port,
    db,
    bus,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    httpUrl: `http://127.0.0.1:${port}`,
    stop() {
      stopped ??= (async () => {
        await server.close();
        await bus.close();
        await db.close();
      })();
      return stopped;
    },
  };
}

/** Nodes in this process sharing one `ClusterStorage`, as a deployment's nodes do. */
export interface TestCluster {
  nodes: ClusterNode[];
  storage: ClusterStorage;
  /** One more node on the same storage (a survivor, a late joiner); stopped with the rest. */
  addNode(env?: Record<string, string>): Promise<ClusterNode>;
  /** Stops every node, then drops the database and removes the data folder. */
  stop(): Promise<void>;
}

export async function startTestCluster(options: {
  nodes: number;
  /** Names the Redis channel prefix, so a leftover key says which test wrote it. */
  name: string;
  /** Another Redis than the machine's (one a test stops and restarts). */
  redisUrl?: string;
  /** Config for every node. */
  env?: Record<string, string>;
  /** REDIS_URL (and the prefix) in the nodes' config too: their feed managers then share feed locks, as deployed. */
  feedLocksInRedis?: boolean;
}): Promise<TestCluster> {
  const storage = await createClusterStorage(options);
  const sharedEnv = {
    ...(options.feedLocksInRedis && {
      REDIS_URL: storage.redisUrl,
      REDIS_CHANNEL_PREFIX: storage.redisPrefix,
    }),
    ...options.env,
  };
  const nodes: ClusterNode[] = [];
  const start = (env: Record<string, string> = {}) =>
    startClusterNode({ ...storage, env: { ...sharedEnv, ...env } });
  const cluster: TestCluster = {
    nodes,
    storage,
    async addNode(env) {
      const node = await start(env);
      nodes.push(node);
      return node;
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
      await storage.remove();
    },
  };
  const started = await Promise.allSettled(Array.from({ length: options.nodes }, () => start()));
  for (const result of started) if (result.status === 'fulfilled') nodes.push(result.value);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await cluster.stop();
    throw failed.reason;
  }
  return cluster;
}

export interface CreatedMap {
  map: { id: string; name: string };
  editKey: string;
  viewKey: string;
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json };
}

export async function createMapVia(httpUrl: string, name = 'Test map'): Promise<CreatedMap> {
  const { status, json } = await postJson(`${httpUrl}/api/maps`, { name });
  if (status !== 201) throw new Error(`create map: ${status} ${JSON.stringify(json)}`);
  return json as CreatedMap;
}

export async function tokenVia(httpUrl: string, mapId: string, key: string): Promise<string> {
  const { status, json } = await postJson(`${httpUrl}/api/maps/${mapId}/sessions`, { key });
  if (status !== 200) throw new Error(`session: ${status} ${JSON.stringify(json)}`);
  return (json as { token: string }).token;
}

/** A MeridianClient over the `ws` package; resolves once joined (snapshot received). */
export async function openClient(
  wsUrl: string,
  options: {
    token: string;
    mapId: string;
    name?: string;
    clientId?: string;
    personId?: string;
    color?: string;
  },
): Promise<MeridianClient> {
  const client = new MeridianClient({
    url: wsUrl,
    token: options.token,
    mapId: options.mapId,
    user: { name: options.name ?? 'Tester', color: options.color ?? '#3366ff' },
    ...(options.clientId ? { clientId: options.clientId } : {}),
    ...(options.personId ? { personId: options.personId } : {}),
    WebSocket: WebSocket as unknown as ConstructorParameters<typeof MeridianClient>[0]['WebSocket'],
    backoff: { initialMs: 50, maxMs: 500, factor: 2 },
    presenceThrottleMs: 20,
    pingIntervalMs: 0,
  });
  client.connect();
  await waitFor(`client ${options.name ?? ''} to join`, () => client.joined);
  return client;
}

/** Wait until every client has applied ops up to `seq` and has no pending ops. */
export async function waitForSeq(clients: MeridianClient[], seq: number, timeoutMs = 15_000): Promise<void> {
  await waitFor('clients to reach a seq', () => clients.every((c) => c.seq >= seq && c.pendingCount === 0), {
    timeoutMs,
  }).catch((error: Error) => {
    const states = clients.map((c) => ({
      seq: c.seq,
      pending: c.pendingCount,
      status: c.status.kind,
      lastClose: c.lastClose,
    }));
    throw new Error(`${error.message}: wanted seq ${seq}, clients ${JSON.stringify(states)}`);
  });
}

export const point = (lng: number, lat: number) => ({
  type: 'Point' as const,
  coordinates: [lng, lat] as [number, number],
});
