/**
 * One realtime node run from the TypeScript sources on storage of its own, as the single-node
 * benchmarks (join, import, reliability) start it: embedded PGlite or a fresh Postgres database,
 * no Redis, a throwaway auth secret, the benchmark's Origin allowed. `stop` removes what it made.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, dropDatabase } from './meridian.ts';
import {
  freePort,
  httpOk,
  type ManagedProcess,
  registerCleanup,
  startRealtimeNode,
  waitUntilReady,
} from './spawn.ts';

export const BENCH_ORIGIN = 'http://bench.localhost';
const REALTIME_DIR = fileURLToPath(new URL('../../../apps/realtime', import.meta.url));

export type SingleNodeDb = 'pglite' | 'postgres';

export interface SingleNode {
  process: ManagedProcess;
  port: number;
  /** http://127.0.0.1:port */
  http: string;
  /** ws://127.0.0.1:port/ws */
  ws: string;
  /** The node's Postgres database, when it has one. */
  databaseUrl: string | undefined;
  /** POST to the node's HTTP API as the benchmark's page would (its Origin). */
  postJson<T>(apiPath: string, body: unknown): Promise<T>;
  /** A new map with its keys, and a session token for a key. */
  createMap(name: string): Promise<{ mapId: string; name: string; editKey: string; viewKey: string }>;
  token(mapId: string, key: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startSingleNode(options: {
  db: SingleNodeDb;
  nodeId: string;
  /** Pin the node to CPU 0 (the load generator takes the other) when there are two. */
  pin: boolean;
  env?: Record<string, string>;
  /** Another apps/realtime folder to run (an older version side by side); this checkout's by default. */
  realtimeDir?: string;
}): Promise<SingleNode> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), `meridian-${options.nodeId}-`));
  const dbName = `bench_${options.nodeId.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  const databaseUrl = options.db === 'postgres' ? await createDatabase(dbName) : undefined;
  const unregisterDrop =
    options.db === 'postgres' ? registerCleanup(() => dropDatabase(dbName)) : () => undefined;
  const server = startRealtimeNode({
    name: `realtime-${options.db}`,
    entry: path.join(options.realtimeDir ?? REALTIME_DIR, 'src/index.ts'),
    port,
    nodeId: options.nodeId,
    dataDir,
    secret: randomBytes(32).toString('hex'),
    origin: BENCH_ORIGIN,
    databaseUrl: databaseUrl ?? '',
    redisUrl: '',
    env: options.env,
    cpus: options.pin && cpus().length >= 2 ? '0' : null,
  });
  const stop = async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (options.db === 'postgres') await dropDatabase(dbName).catch(() => {});
    unregisterDrop();
  };
  const http = `http://127.0.0.1:${port}`;
  const postJson = async <T>(apiPath: string, body: unknown): Promise<T> => {
    const res = await fetch(`${http}${apiPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: BENCH_ORIGIN },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`${apiPath}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  try {
    await waitUntilReady(server, () => httpOk(`${http}/readyz`));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    process: server,
    port,
    http,
    ws: `ws://127.0.0.1:${port}/ws`,
    databaseUrl,
    postJson,
    async createMap(name) {
      const created = await postJson<{ map: { id: string; name: string }; editKey: string; viewKey: string }>(
        '/api/maps',
        { name },
      );
      return {
        mapId: created.map.id,
        name: created.map.name,
        editKey: created.editKey,
        viewKey: created.viewKey,
      };
    },
    async token(mapId, key) {
      return (await postJson<{ token: string }>(`/api/maps/${mapId}/sessions`, { key })).token;
    },
    stop,
  };
}
