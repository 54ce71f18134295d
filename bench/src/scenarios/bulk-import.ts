/**
 * Bulk import (issue #11): one realtime node (embedded PGlite, or a fresh Postgres database), an
 * importer and a watcher (the real MeridianClient over `ws`, in this process). The importer
 * imports N generated mixed features with `importFeatures`; the figure runs from its first op
 * frame out to the watcher having applied the last chunk (every feature received). Beside it:
 * the CPU time the server and this process (both clients) spent, and on Postgres the floor, a
 * `psql \copy` of the same rows into the same database.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { type Feature, LIMITS, stateHash } from '@meridian/protocol';
import {
  DEFAULT_BULK_WINDOW,
  DEFAULT_RESEND_PACING,
  MeridianClient,
  type WebSocketConstructor,
} from '@meridian/protocol/client';
import { mixedFeatures } from '@meridian/protocol/testing';
import WebSocket from 'ws';
import { startSingleNode } from '../systems/single-node.ts';

const run = promisify(execFile);

export type ImportDb = 'pglite' | 'postgres';

function joinedClient(
  url: string,
  token: string,
  mapId: string,
  name: string,
  bulkWindow?: number,
): Promise<MeridianClient> {
  const c = new MeridianClient({
    url,
    token,
    mapId,
    user: { name, color: '#3366ff' },
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    pingIntervalMs: 0,
    ...(bulkWindow === undefined ? {} : { resendPacing: { ...DEFAULT_RESEND_PACING, bulkWindow } }),
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

/** CPU seconds (user + system) a process has used so far, from /proc. */
function processCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

export interface ImportOptions {
  db: ImportDb;
  count: number;
  /** Pin the server to CPU 0 (`taskset`); the bench process is not pinned. */
  pin: boolean;
  /** Import chunks in flight (the client's bulk window); 1 is the pacing before issue #11's work. */
  bulkWindow?: number;
  /** The importer's chunk frame limit; the server's announced bulk frame limit when absent. */
  frameBytes?: number;
  /** Also measure the snapshot frame a late joiner is sent (one frame of the whole map). */
  snapshot?: boolean;
  /** On Postgres, also time `psql \copy` of the same rows into the same database. */
  floor?: boolean;
  /** Passed to the server's environment. */
  env?: Record<string, string>;
}

export interface ImportRun {
  db: ImportDb;
  count: number;
  bulkWindow: number;
  frameBytes: number;
  chunks: number;
  /** First op frame out → the watcher applied the last chunk. */
  importMs: number;
  featuresPerS: number;
  /** CPU seconds over `importMs`: the server process, and this process (importer + watcher). */
  serverCpuS: number;
  clientsCpuS: number;
  /** Mean time the server spent committing one chunk (its op-commit histogram): the serial part. */
  commitMsPerChunk: number | null;
  transientRefusals: number;
  finalRefusals: number;
  /** Every feature reached the watcher and both clients hold the same state. */
  delivered: boolean;
  equal: boolean;
  snapshotBytes: number | null;
  /** `psql \copy` of the same rows into the Feature table of the same database (Postgres only). */
  copyFloorMs: number | null;
}

/** CSV for `\copy "Feature" (...) FROM … CSV`: every feature of `features` on map `mapId`. */
function featureCsv(mapId: string, features: readonly Feature[]): string {
  const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;
  const now = new Date().toISOString();
  return features
    .map((f) =>
      [
        mapId,
        quote(f.id),
        quote(JSON.stringify(f.geometry)),
        quote(JSON.stringify(f.properties)),
        1,
        1,
        1,
        now,
        now,
      ].join(','),
    )
    .join('\n');
}

/** Time a `psql \copy` of the features (ids prefixed, on a second map) into the same database. */
async function copyFloor(databaseUrl: string, features: readonly Feature[]): Promise<number> {
  const mapId = `floor-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-copy-'));
  try {
    const file = path.join(dir, 'features.csv');
    writeFileSync(file, featureCsv(mapId, features));
    await run('psql', [
      databaseUrl,
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `INSERT INTO "Map" (id, name, "updatedAt") VALUES ('${mapId}', 'floor', now())`,
    ]);
    const started = performance.now();
    await run('psql', [
      databaseUrl,
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `\\copy "Feature" ("mapId", id, geometry, properties, version, "createdSeq", "updatedSeq", "createdAt", "updatedAt") FROM '${file}' CSV`,
    ]);
    return performance.now() - started;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Mean of the server's op-commit histogram, in ms (null when it cannot be read). */
async function meanCommitMs(metricsUrl: string): Promise<number | null> {
  const text = await (await fetch(metricsUrl)).text();
  const read = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
  const sum = read('meridian_op_commit_seconds_sum');
  const count = read('meridian_op_commit_seconds_count');
  return Number.isFinite(sum) && count > 0 ? (sum / count) * 1000 : null;
}

export async function runImport(options: ImportOptions): Promise<ImportRun> {
  const { db, count } = options;
  const node = await startSingleNode({ db, nodeId: `import-${db}`, pin: options.pin, env: options.env });
  const { http, ws, databaseUrl } = node;
  const server = node.process;
  const clients: MeridianClient[] = [];
  try {
    const { mapId, editKey } = await node.createMap(`Import ${count}`);
    const token = await node.token(mapId, editKey);
    const importer = await joinedClient(ws, token, mapId, 'importer', options.bulkWindow);
    clients.push(importer);
    const watcher = await joinedClient(ws, token, mapId, 'watcher');
    clients.push(watcher);
    const features = mixedFeatures(count);
    let transientRefusals = 0;
    let finalRefusals = 0;
    importer.on('opRejected', (event) => {
      if (event.final) finalRefusals += 1;
      else transientRefusals += 1;
    });
    // The clock starts at the first chunk sent, so generating the features is not counted; the
    // client's own checks (validation, chunking) run before it and are counted in CPU time only.
    let firstOut = 0;
    let serverCpuAtStart = 0;
    let clientCpuAtStart = process.cpuUsage();
    const offFrame = importer.on('frame', (frame) => {
      if (frame.direction !== 'out' || frame.type !== 'op' || firstOut !== 0) return;
      firstOut = performance.now();
    });
    serverCpuAtStart = processCpuS(server.pid);
    clientCpuAtStart = process.cpuUsage();
    const result = await importer.importFeatures(
      features,
      options.frameBytes === undefined ? {} : { maxFrameBytes: options.frameBytes },
    );
    offFrame();
    const chunks = result.opIds.length;
    const done = await new Promise<number>((resolve) => {
      const check = () => watcher.seq >= chunks && resolve(performance.now());
      watcher.on('featuresChanged', check);
      check();
    });
    const serverCpuS = processCpuS(server.pid) - serverCpuAtStart;
    const clientCpu = process.cpuUsage(clientCpuAtStart);
    const importMs = done - firstOut;
    const delivered = watcher.confirmedFeatures.size === count;
    // The importer applies its own chunks' records too; it may be a few behind the watcher here.
    await new Promise<void>((resolve) => {
      const check = () => importer.seq >= chunks && resolve();
      importer.on('featuresChanged', check);
      check();
    });
    const equal = stateHash(watcher.replica.confirmed) === stateHash(importer.replica.confirmed);
    let snapshotBytes: number | null = null;
    if (options.snapshot) {
      const late = new MeridianClient({
        url: ws,
        token,
        mapId,
        user: { name: 'late', color: '#3366ff' },
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        pingIntervalMs: 0,
      });
      clients.push(late);
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
    }
    const commitMsPerChunk = await meanCommitMs(`${http}/metrics`);
    const copyFloorMs = options.floor && databaseUrl ? await copyFloor(databaseUrl, features) : null;
    return {
      db,
      count,
      bulkWindow: options.bulkWindow ?? DEFAULT_BULK_WINDOW,
      frameBytes: options.frameBytes ?? LIMITS.MAX_BULK_FRAME_BYTES,
      chunks,
      importMs,
      featuresPerS: Math.round(count / (importMs / 1000)),
      serverCpuS,
      commitMsPerChunk,
      clientsCpuS: (clientCpu.user + clientCpu.system) / 1e6,
      transientRefusals,
      finalRefusals,
      delivered,
      equal,
      snapshotBytes,
      copyFloorMs,
    };
  } finally {
    for (const c of clients) c.close();
    await node.stop();
  }
}
