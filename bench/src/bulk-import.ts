/**
 * Bulk import (issue #11): one realtime node (embedded PGlite, or a fresh Postgres database), an
 * importer and a watcher (the real MeridianClient over `ws`). The importer imports N generated
 * mixed features (Points with address properties, two-island MultiPolygons, 20-vertex 3D
 * tracks) with `importFeatures`; measured from its first op frame out to the watcher having
 * applied the last chunk (every feature received), plus the bytes of the snapshot a late joiner
 * gets for the resulting map.
 *
 *   npm run bench:import -w @meridian/bench -- [--db=pglite,postgres] [--counts=10000,100000] [--no-pin]
 *
 * Goal (issue #11): 100,000 in ≤ 10 s on this 2-core machine (measured here without a browser).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { stateHash } from '@meridian/protocol';
import { MeridianClient, type WebSocketConstructor } from '@meridian/protocol/client';
import WebSocket from 'ws';
import { mixedFeatures } from './mixed-features.ts';
import { machineInfo } from './report/machine.ts';
import { createDatabase, dropDatabase } from './systems/meridian.ts';
import {
  freePort,
  httpOk,
  nodeFlags,
  registerCleanup,
  runCleanups,
  startProcess,
  waitUntilReady,
} from './systems/spawn.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const ORIGIN = 'http://bench.localhost';

type Db = 'pglite' | 'postgres';

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function client(url: string, token: string, mapId: string, name: string): Promise<MeridianClient> {
  const c = new MeridianClient({
    url,
    token,
    mapId,
    user: { name, color: '#3366ff' },
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    pingIntervalMs: 0,
  });
  c.connect();
  return new Promise((resolve) => {
    const off = c.on('status', (state) => {
      if (state.kind !== 'joined') return;
      off();
      resolve(c);
    });
  });
}

interface Run {
  db: Db;
  count: number;
  chunks: number;
  importMs: number;
  featuresPerS: number;
  transientRefusals: number;
  snapshotBytes: number;
  equal: boolean;
}

async function runOne(db: Db, count: number, pin: boolean): Promise<Run> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'meridian-import-'));
  const dbName = `bench_import_${randomBytes(4).toString('hex')}`;
  const databaseUrl = db === 'postgres' ? await createDatabase(dbName) : undefined;
  const unregisterDrop = db === 'postgres' ? registerCleanup(() => dropDatabase(dbName)) : () => undefined;
  const server = startProcess(
    `realtime-${db}`,
    process.execPath,
    [...nodeFlags(), path.join(REPO_ROOT, 'apps/realtime/src/index.ts')],
    {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      NODE_ID: `import-${db}`,
      MERIDIAN_DATA_DIR: dataDir,
      MERIDIAN_AUTH_SECRET: randomBytes(32).toString('hex'),
      MERIDIAN_ALLOWED_ORIGINS: ORIGIN,
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl ?? '',
      REDIS_URL: '',
    },
    pin && cpus().length >= 2 ? '0' : null,
  );
  try {
    await waitUntilReady(server, () => httpOk(`http://127.0.0.1:${port}/readyz`));
    const http = `http://127.0.0.1:${port}`;
    const ws = `ws://127.0.0.1:${port}/ws`;
    const created = await postJson<{ map: { id: string }; editKey: string }>(`${http}/api/maps`, {
      name: `Import ${count}`,
    });
    const mapId = created.map.id;
    const token = (
      await postJson<{ token: string }>(`${http}/api/maps/${mapId}/sessions`, { key: created.editKey })
    ).token;
    const importer = await client(ws, token, mapId, 'importer');
    const watcher = await client(ws, token, mapId, 'watcher');
    const features = mixedFeatures(count);
    let firstOut = 0;
    const offFrame = importer.on('frame', (frame) => {
      if (frame.direction === 'out' && frame.type === 'op' && firstOut === 0) firstOut = performance.now();
    });
    let transientRefusals = 0;
    importer.on('opRejected', (event) => {
      if (!event.final) transientRefusals += 1;
    });
    const result = await importer.importFeatures(features);
    offFrame();
    const chunks = result.opIds.length;
    const done = await new Promise<number>((resolve) => {
      const check = () => watcher.seq >= chunks && resolve(performance.now());
      watcher.on('featuresChanged', check);
      check();
    });
    const importMs = done - firstOut;
    const equal = stateHash(watcher.replica.confirmed) === stateHash(importer.replica.confirmed);
    // A late joiner's snapshot frame for the resulting map.
    let snapshotBytes = 0;
    const late = new MeridianClient({
      url: ws,
      token,
      mapId,
      user: { name: 'late', color: '#3366ff' },
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      pingIntervalMs: 0,
    });
    late.on('frame', (frame) => {
      if (frame.direction === 'in' && frame.type === 'snapshot') snapshotBytes = frame.bytes;
    });
    late.connect();
    await new Promise<void>((resolve) => {
      const off = late.on('status', (state) => {
        if (state.kind !== 'joined') return;
        off();
        resolve();
      });
    });
    for (const c of [importer, watcher, late]) c.close();
    return {
      db,
      count,
      chunks,
      importMs,
      featuresPerS: Math.round(count / (importMs / 1000)),
      transientRefusals,
      snapshotBytes,
      equal,
    };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (db === 'postgres') await dropDatabase(dbName).catch(() => {});
    unregisterDrop();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (key: string) => argv.find((a) => a.startsWith(`--${key}=`))?.split('=', 2)[1];
  const dbs = (value('db') ?? 'postgres,pglite').split(',') as Db[];
  const counts = (value('counts') ?? '10000,100000').split(',').map(Number);
  const pin = !argv.includes('--no-pin');
  const runs: Run[] = [];
  for (const count of counts) {
    for (const db of dbs) {
      process.stderr.write(`import of ${count} on ${db}…\n`);
      runs.push(await runOne(db, count, pin));
    }
  }
  const table = [
    '| features | db | chunks | first chunk → last received by 2nd client | features/s | transient refusals | snapshot bytes | equal stateHash |',
    '|---:|---|---:|---:|---:|---:|---:|---|',
    ...runs.map(
      (r) =>
        `| ${r.count} | ${r.db} | ${r.chunks} | ${(r.importMs / 1000).toFixed(1)} s | ${r.featuresPerS} | ${r.transientRefusals} | ${r.snapshotBytes} | ${r.equal} |`,
    ),
  ].join('\n');
  process.stdout.write(`${table}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    path.join(RESULTS_DIR, 'bulk-import.json'),
    JSON.stringify({ machine: machineInfo(), runs }, null, 2),
  );
}

main()
  .catch((error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
