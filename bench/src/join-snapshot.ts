import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import {
  createMapState,
  type Feature,
  PROTOCOL_VERSION,
  stateHash,
  subprotocolsFor,
} from '@meridian/protocol';
import { importChunks, MeridianClient, type WebSocketConstructor } from '@meridian/protocol/client';
import { mixedFeatures } from '@meridian/protocol/testing';
import WebSocket from 'ws';
import { cpuSeconds } from './load/proc.ts';
import { BENCH_ORIGIN, startSingleNode } from './systems/single-node.ts';

/** Import ops sent before waiting for acks while seeding. */
const SEED_WINDOW = 32;

export const JOIN_VARIANTS = ['v3 streamed', 'v3 streamed + deflate'] as const;
export type JoinVariant = (typeof JOIN_VARIANTS)[number];

export interface JoinSample {
  /** From the join frame out to the first features in the replica. */
  firstMs: number;
  /** From the join frame out to every feature in the replica (joined). */
  allMs: number;
  /** Bytes read from the TCP socket meanwhile: what travelled, compressed when negotiated. */
  wireBytes: number;
  /** The same frames as JSON text. */
  jsonBytes: number;
  frames: number;
  serverCpuMs: number;
  /** The replica's stateHash equals the one computed from the seeded features. */
  equal: boolean;
}

export interface JoinRow {
  count: number;
  variant: JoinVariant;
  cache: 'cold' | 'warm';
  reps: number;
  /** Medians over the repetitions. */
  median: Omit<JoinSample, 'equal'>;
  allEqual: boolean;
}

export interface JoinReport {
  rows: JoinRow[];
  /** The GeoJSON FeatureCollection of each seeded map: plain, gzip (level 6) and brotli (quality 5) bytes. */
  geojson: { count: number; jsonBytes: number; gzipBytes: number; brotliBytes: number; gzipMs: number }[];
  seedMs: Record<number, number>;
}

/** `ws` with the options of one measurement, keeping each socket so its TCP byte count can be read. */
function probeSocket(deflate: boolean): { Ctor: WebSocketConstructor; sockets: WebSocket[] } {
  const sockets: WebSocket[] = [];
  class Probe extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, {
        perMessageDeflate: deflate,
        maxPayload: 512 * 1024 * 1024,
        origin: BENCH_ORIGIN,
      });
      sockets.push(this);
    }
  }
  return { Ctor: Probe as unknown as WebSocketConstructor, sockets };
}

const bytesRead = (ws: WebSocket | undefined) =>
  (ws as unknown as { _socket?: Socket } | undefined)?._socket?.bytesRead ?? 0;

/**
 * Import `features` over one raw socket: `features.import` ops that fit a frame, SEED_WINDOW in
 * flight, each acked once (the node runs with a high rate limit for this).
 */
async function seed(wsUrl: string, token: string, mapId: string, features: Feature[]): Promise<void> {
  const ops = importChunks(features);
  const ws = new WebSocket(wsUrl, subprotocolsFor(token), { origin: BENCH_ORIGIN });
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const sendMore = () => {
      while (sent < ops.length && sent - acked < SEED_WINDOW) {
        const op = ops[sent];
        ws.send(JSON.stringify({ type: 'op', mapId, opId: `seed-${sent}`, op }));
        sent++;
      }
    };
    ws.on('open', () =>
      ws.send(
        JSON.stringify({
          type: 'hello',
          v: PROTOCOL_VERSION,
          clientId: 'seeder',
          name: 'Seeder',
          color: '#000000',
        }),
      ),
    );
    ws.on('message', (data) => {
      const text = data.toString();
      const head = text.slice(0, 40);
      if (head.startsWith('{"type":"welcome"')) ws.send(JSON.stringify({ type: 'join', mapId }));
      else if (head.startsWith('{"type":"snapshot"') || head.startsWith('{"type":"snapshotEnd"')) sendMore();
      else if (head.startsWith('{"type":"ack"')) {
        acked++;
        if (acked === ops.length) resolve();
        else sendMore();
      } else if (head.startsWith('{"type":"reject"') || head.startsWith('{"type":"error"'))
        reject(new Error(`seeding refused: ${text.slice(0, 300)}`));
    });
    ws.on('error', reject);
    ws.on('close', (code) => reject(new Error(`seeding socket closed ${code}`)));
  });
  ws.removeAllListeners('close');
  ws.close();
}

/** The real client's join (protocol v3). */
async function joinV3(
  wsUrl: string,
  token: string,
  mapId: string,
  serverPid: number,
  hash: string,
  deflate: boolean,
): Promise<JoinSample> {
  const { Ctor, sockets } = probeSocket(deflate);
  const client = new MeridianClient({
    url: wsUrl,
    token,
    mapId,
    user: { name: 'joiner', color: '#3366ff' },
    WebSocket: Ctor,
    pingIntervalMs: 0,
  });
  let t0 = 0;
  let bytes0 = 0;
  let first = 0;
  let jsonBytes = 0;
  let frames = 0;
  client.on('frame', (frame) => {
    if (frame.direction === 'out' && frame.type === 'join') {
      t0 = performance.now();
      bytes0 = bytesRead(sockets[0]);
    } else if (frame.direction === 'in' && t0 > 0 && frame.type?.startsWith('snapshot')) {
      jsonBytes += frame.bytes;
      frames++;
    }
  });
  client.on('featuresChanged', () => {
    if (first === 0 && client.features.size > 0) first = performance.now();
  });
  const cpu0 = cpuSeconds(serverPid);
  client.connect();
  await new Promise<void>((resolve) => {
    const off = client.on('status', (state) => {
      if (state.kind !== 'joined') return;
      off();
      resolve();
    });
  });
  const done = performance.now();
  const sample: JoinSample = {
    firstMs: (first || done) - t0,
    allMs: done - t0,
    wireBytes: bytesRead(sockets[0]) - bytes0,
    jsonBytes,
    frames,
    serverCpuMs: (cpuSeconds(serverPid) - cpu0) * 1000,
    equal: stateHash(client.replica.confirmed) === hash,
  };
  client.close();
  return sample;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
};

function summarize(
  count: number,
  variant: JoinVariant,
  cache: 'cold' | 'warm',
  samples: JoinSample[],
): JoinRow {
  const pick = (key: keyof Omit<JoinSample, 'equal'>) => median(samples.map((s) => s[key]));
  return {
    count,
    variant,
    cache,
    reps: samples.length,
    median: {
      firstMs: pick('firstMs'),
      allMs: pick('allMs'),
      wireBytes: pick('wireBytes'),
      jsonBytes: pick('jsonBytes'),
      frames: pick('frames'),
      serverCpuMs: pick('serverCpuMs'),
    },
    allEqual: samples.every((s) => s.equal),
  };
}

export interface JoinOptions {
  counts: number[];
  reps: number;
  pin: boolean;
  log?: (line: string) => void;
}

export async function runJoinBench(options: JoinOptions): Promise<JoinReport> {
  const log = options.log ?? (() => {});
  const node = await startSingleNode({
    db: 'postgres',
    nodeId: 'join-bench',
    pin: options.pin,
    env: {
      MERIDIAN_COMPRESSION: 'shared',
      // Seeding sends many import ops at once; the joins themselves are not rate limited.
      RATE_LIMIT_MSGS_PER_S: '100000',
      RATE_LIMIT_BURST: '100000',
    },
  });
  const report: JoinReport = { rows: [], geojson: [], seedMs: {} };
  try {
    const wsUrl = node.ws;
    for (const count of options.counts) {
      const { mapId, name, editKey } = await node.createMap(`Join ${count}`);
      const token = await node.token(mapId, editKey);
      const features = mixedFeatures(count);
      log(`seeding ${count} features…`);
      const seedStart = performance.now();
      await seed(wsUrl, token, mapId, features);
      report.seedMs[count] = performance.now() - seedStart;
      const hash = stateHash(
        createMapState(
          name,
          features.map((f) => ({ ...f, version: 1 })),
        ),
      );

      const geojson = JSON.stringify({ type: 'FeatureCollection', features });
      const gzipStart = performance.now();
      const gzipBytes = gzipSync(geojson, { level: 6 }).length;
      const gzipMs = performance.now() - gzipStart;
      const brotliBytes = brotliCompressSync(geojson, {
        params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: geojson.length },
      }).length;
      report.geojson.push({ count, jsonBytes: Buffer.byteLength(geojson), gzipBytes, brotliBytes, gzipMs });

      const join = (variant: JoinVariant) =>
        joinV3(wsUrl, token, mapId, node.process.pid, hash, variant === 'v3 streamed + deflate');
      const samples = new Map<string, JoinSample[]>();
      const keep = (variant: JoinVariant, cache: string, sample: JoinSample) => {
        const key = `${variant}|${cache}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
      };
      for (let rep = 0; rep < options.reps; rep++) {
        for (const variant of JOIN_VARIANTS) {
          log(`${count}: ${variant}, rep ${rep + 1}/${options.reps}`);
          // Cold: nobody on the map, so the node opens the room and reads the snapshot.
          await sleepMs(300);
          keep(variant, 'cold', await join(variant));
          // Warm: someone is on the map and the snapshot was read a moment ago (kept 5 s).
          const stay = await holdOn(wsUrl, token, mapId);
          keep(variant, 'warm', await join(variant));
          stay.close();
        }
      }
      for (const variant of JOIN_VARIANTS)
        for (const cache of ['cold', 'warm'] as const)
          report.rows.push(summarize(count, variant, cache, samples.get(`${variant}|${cache}`) ?? []));
    }
    return report;
  } finally {
    await node.stop();
  }
}

const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client that stays on the map (so its room, and the snapshot it just read, stay open). */
async function holdOn(wsUrl: string, token: string, mapId: string): Promise<MeridianClient> {
  const { Ctor } = probeSocket(false);
  const client = new MeridianClient({
    url: wsUrl,
    token,
    mapId,
    user: { name: 'holder', color: '#999999' },
    WebSocket: Ctor,
    pingIntervalMs: 0,
  });
  client.connect();
  await new Promise<void>((resolve) => {
    const off = client.on('status', (state) => {
      if (state.kind !== 'joined') return;
      off();
      resolve();
    });
  });
  return client;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1)} MB`;
const s = (ms: number) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);

export function joinTable(report: JoinReport): string {
  const rows = report.rows.map(
    (r) =>
      `| ${r.count.toLocaleString('en')} | ${r.variant} | ${r.cache} | ${s(r.median.firstMs)} | ${s(r.median.allMs)} | ${mb(r.median.wireBytes)} | ${mb(r.median.jsonBytes)} | ${r.median.frames} | ${(r.median.serverCpuMs / 1000).toFixed(2)} s | ${r.allEqual ? 'yes' : 'NO'} |`,
  );
  const geo = report.geojson.map(
    (g) =>
      `| ${g.count.toLocaleString('en')} | ${mb(g.jsonBytes)} | ${mb(g.gzipBytes)} (${s(g.gzipMs)} to compress) | ${mb(g.brotliBytes)} |`,
  );
  return [
    '| features | join | snapshot | first features applied | all applied | bytes on the wire | JSON bytes | frames | server CPU | equal stateHash |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    'The same features as one GeoJSON FeatureCollection (what a `GET` would move):',
    '',
    '| features | JSON | gzip -6 | brotli q5 |',
    '|---:|---:|---:|---:|',
    ...geo,
  ].join('\n');
}
