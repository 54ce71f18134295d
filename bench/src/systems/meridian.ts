/**
 * Meridian's realtime service as a system under test: N nodes of apps/realtime joined by
 * the benchmark's Redis, sharing a fresh Postgres database that is dropped afterwards.
 * Started as production runs it (`npm start`): the bundle `node apps/realtime/dist/index.mjs`,
 * built once per benchmark run, one process per node, no TypeScript loader.
 */

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ClientMessage, PROTOCOL_VERSION } from '@meridian/protocol';
import WebSocket from 'ws';
import type { ClientTarget } from '../load/plan.ts';
import type { Deployment, StartOptions } from './catalog.ts';
import { PRODUCTION_ENV } from './production-env.ts';
import {
  freePort,
  httpOk,
  type ManagedProcess,
  registerCleanup,
  startRealtimeNode,
  waitUntilReady,
} from './spawn.ts';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const REALTIME_DIR = `${REPO_ROOT}apps/realtime`;

const bundles = new Map<string, Promise<string>>();

/** `<appDir>/dist/index.mjs`, built by the app's own build script (once per benchmark process). */
export function realtimeBundle(appDir: string): Promise<string> {
  let bundle = bundles.get(appDir);
  if (!bundle) {
    bundle = run(process.execPath, [`${appDir}/scripts/build.mjs`], { cwd: appDir }).then(
      () => `${appDir}/dist/index.mjs`,
    );
    bundles.set(appDir, bundle);
  }
  return bundle;
}

/**
 * The entry a node runs. BENCH_MERIDIAN_ENTRY overrides it for every Meridian system (e.g.
 * `apps/realtime/src/index.ts`, run through tsx as `npm run dev` does). The `baseline` checkout is
 * another copy of apps/realtime (BENCH_MERIDIAN_BASELINE, its folder), bundled the same way, so a
 * change is measured side by side with what it changes, in one run.
 */
async function realtimeEntry(checkout: 'current' | 'baseline'): Promise<string> {
  if (checkout === 'baseline') {
    const dir = process.env.BENCH_MERIDIAN_BASELINE;
    if (!dir)
      throw new Error('meridian-baseline: set BENCH_MERIDIAN_BASELINE to another checkout’s apps/realtime');
    return realtimeBundle(dir.replace(/\/$/, ''));
  }
  return process.env.BENCH_MERIDIAN_ENTRY ?? realtimeBundle(REALTIME_DIR);
}
/** Where databases are created and dropped: the test suite's server unless told otherwise. */
const POSTGRES_ADMIN_URL =
  process.env.BENCH_POSTGRES_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ORIGIN = 'http://bench.localhost';
export const FEATURE_ID = 'bench-feature';

async function psql(sql: string): Promise<void> {
  await run('psql', [POSTGRES_ADMIN_URL, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql]);
}

/** Rows of a query against one of the benchmark's databases, as tab-separated fields. */
export async function queryRows(databaseUrl: string, sql: string): Promise<string[][]> {
  const { stdout } = await run(
    'psql',
    [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-A', '-t', '-F', '\t', '-c', sql],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}

function databaseUrl(name: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** An empty database; the first node migrates it on boot. */
export async function createDatabase(name: string): Promise<string> {
  await psql(`CREATE DATABASE "${name}"`);
  return databaseUrl(name);
}

export async function dropDatabase(name: string): Promise<void> {
  await psql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

interface MapAccess {
  mapId: string;
  token: string;
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function createMap(httpBase: string, name: string): Promise<MapAccess> {
  const created = await postJson<{ map: { id: string }; editKey: string }>(`${httpBase}/api/maps`, { name });
  const session = await postJson<{ token: string }>(`${httpBase}/api/maps/${created.map.id}/sessions`, {
    key: created.editKey,
  });
  return { mapId: created.map.id, token: session.token };
}

/** The durable path moves one feature; it is created once per map, before the clients join. */
function createFeature(url: string, access: MapAccess): Promise<void> {
  const ws = new WebSocket(`${url}?token=${encodeURIComponent(access.token)}`, { origin: ORIGIN });
  const send = (message: ClientMessage) => ws.send(JSON.stringify(message));
  const opId = `create-${randomBytes(4).toString('hex')}`;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('feature.create: no ack in 10 s')), 10_000);
    const done = (error?: Error) => {
      clearTimeout(timer);
      ws.terminate();
      if (error) reject(error);
      else resolve();
    };
    ws.on('open', () =>
      send({
        type: 'hello',
        v: PROTOCOL_VERSION,
        clientId: `setup-${opId}`,
        name: 'setup',
        color: '#000000',
      }),
    );
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.includes('"type":"welcome"')) send({ type: 'join', mapId: access.mapId });
      else if (text.includes('"type":"snapshot"'))
        send({
          type: 'op',
          mapId: access.mapId,
          opId,
          op: {
            kind: 'feature.create',
            feature: {
              type: 'Feature',
              id: FEATURE_ID,
              geometry: { type: 'Point', coordinates: [0, 0] },
              properties: {},
              version: 0,
            },
          },
        });
      else if (text.includes('"type":"ack"')) done();
      else if (text.includes('"type":"reject"') || text.includes('"type":"error"'))
        done(new Error(`feature.create refused: ${text.slice(0, 200)}`));
    });
    ws.on('error', (error) => done(error));
  });
}

/** Starts of one node before the run gives up on it (only a node that exited on its own is retried). */
const START_ATTEMPTS = 3;

export interface MeridianOptions {
  path: 'presence' | 'op';
  /** Postgres (a fresh database, the default) or each node's embedded PGlite (one node only). */
  database?: 'postgres' | 'pglite';
  /** Which apps/realtime runs: this one (default) or BENCH_MERIDIAN_BASELINE's. */
  checkout?: 'current' | 'baseline';
  /** Overrides for the service's environment (its documented knobs, e.g. PRESENCE_FLUSH_MS). */
  env?: Record<string, string>;
}

export async function startMeridian(options: StartOptions, meridian: MeridianOptions): Promise<Deployment> {
  const { path } = meridian;
  const pglite = meridian.database === 'pglite';
  if (pglite && options.nodes !== 1) throw new Error('embedded PGlite serves one node only');
  const entry = await realtimeEntry(meridian.checkout ?? 'current');
  const database = `bench_${options.runId.replace(/[^a-z0-9_]/gi, '_')}_${randomBytes(3).toString('hex')}`;
  const dataDir = pglite ? mkdtempSync(join(tmpdir(), 'meridian-bench-')) : null;
  const url = pglite ? '' : await createDatabase(database);
  const dropStorage = async () => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    else await dropDatabase(database);
  };
  const unregisterDrop = registerCleanup(dropStorage);
  const secret = randomBytes(32).toString('hex');
  const nodes: { process: ManagedProcess; port: number }[] = [];
  const startNode = async (i: number): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startNodeOnce(i);
      } catch (error) {
        // On a machine loaded far past its cores a node can miss its 3 s database connect at boot
        // (`ping: timeout expired`) and exit; the run should not lose the system for that.
        const exited = error instanceof Error && error.message.includes('exited before it was ready');
        if (!exited || attempt >= START_ATTEMPTS) throw error;
        process.stderr.write(`meridian n${i}: ${error.message.split('\n', 1)[0]}; starting it again\n`);
      }
    }
  };
  const startNodeOnce = async (i: number) => {
    const port = await freePort();
    const proc = startRealtimeNode({
      name: `meridian n${i}`,
      entry,
      port,
      nodeId: `bench-n${i}`,
      redisUrl: options.redis.url,
      redisPrefix: `${options.runId}:`,
      databaseUrl: url,
      dataDir: dataDir ?? undefined,
      secret,
      origin: ORIGIN,
      env: { ...PRODUCTION_ENV, ...meridian.env },
      cpus: options.cpus,
    });
    try {
      await waitUntilReady(proc, () => httpOk(`http://127.0.0.1:${port}/readyz`));
    } catch (error) {
      await proc.stop();
      throw error;
    }
    nodes.push({ process: proc, port });
  };
  try {
    // The first node migrates the fresh database; the others start once it has.
    await startNode(0);
    await Promise.all(Array.from({ length: options.nodes - 1 }, (_, i) => startNode(i + 1)));
  } catch (error) {
    await Promise.all(nodes.map((node) => node.process.stop()));
    unregisterDrop();
    await dropStorage();
    throw error;
  }
  const httpBase = `http://127.0.0.1:${nodes[0]?.port}`;
  return {
    nodes: nodes.map((node) => node.process),
    async room(name) {
      const access = await createMap(httpBase, name);
      if (path === 'op') await createFeature(`ws://127.0.0.1:${nodes[0]?.port}/ws`, access);
      return (i): ClientTarget => ({
        kind: 'meridian',
        url: `ws://127.0.0.1:${nodes[i % nodes.length]?.port}/ws`,
        token: access.token,
        mapId: access.mapId,
        origin: ORIGIN,
        path,
        featureId: FEATURE_ID,
      });
    },
    ...(pglite
      ? {}
      : {
          async opLog() {
            const rows = await queryRows(
              url,
              'SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM "Op" GROUP BY "mapId"',
            );
            const counts = rows.map(([count, min, max]) => ({
              ops: Number(count),
              gapFree: Number(min) === 1 && Number(max) === Number(count),
            }));
            return {
              maps: counts.length,
              ops: counts.reduce((sum, c) => sum + c.ops, 0),
              gapFree: counts.every((c) => c.gapFree),
            };
          },
        }),
    async stop() {
      await Promise.all(nodes.map((node) => node.process.stop()));
      unregisterDrop();
      await dropStorage();
    },
  };
}
