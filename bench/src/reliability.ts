/**
 * Reliability under one hostile client (issue #13): does one connection make a node slow for
 * everyone else? One realtime node (embedded PGlite, or a fresh Postgres database) and, while one
 * client floods it as fast as its socket takes frames (ops from an edit link, or `sync {1..1000}`
 * on a map of 1,000 ops from a view link), the worst `/healthz` answer time (a new connection
 * each time, so accept delays count) and another editor's op latency (send → ack, one op every
 * 200 ms). A quiet phase first gives the baseline of the same probes.
 *
 *   npm run bench:reliability -w @meridian/bench -- [--db=pglite,postgres] [--flood=ops,sync]
 *       [--seconds=10] [--realtime=<an apps/realtime folder>] [--label=name] [--no-pin]
 *
 * `--realtime` runs another version of the service side by side (e.g. a copy of an older commit's
 * apps/realtime under bench/.scratch/, which resolves this checkout's packages). Goals (issue #13):
 * worst /healthz ≤ 100 ms, the other editor's p99 ≤ 250 ms.
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_VERSION } from '@meridian/protocol';
import WebSocket from 'ws';
import type { FloodReport, FloodSpec } from './reliability/flooder.ts';
import { machineInfo } from './report/machine.ts';
import { BENCH_ORIGIN, startSingleNode } from './systems/single-node.ts';
import { nodeFlags, pinToCpus, registerCleanup, runCleanups } from './systems/spawn.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const FLOODER_ENTRY = fileURLToPath(new URL('./reliability/flooder.ts', import.meta.url));
const QUIET_S = 3;
const OP_INTERVAL_MS = 200;
const HEALTH_INTERVAL_MS = 25;
/** An answer slower than this is counted as missing (and the probe moves on). */
const ANSWER_TIMEOUT_MS = 60_000;
const SEED_OPS = 1000;
const SEED_CONNECTIONS = 20;
const GOALS = { healthWorstMs: 100, opP99Ms: 250 };

type Db = 'pglite' | 'postgres';
type Flood = 'ops' | 'sync';

interface Args {
  dbs: Db[];
  floods: Flood[];
  seconds: number;
  realtime: string;
  label: string;
  pin: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    dbs: ['pglite', 'postgres'],
    floods: ['ops', 'sync'],
    seconds: 10,
    realtime: path.join(REPO_ROOT, 'apps/realtime'),
    label: 'current',
    pin: true,
  };
  for (const arg of argv) {
    const [key, value = ''] = arg.split('=', 2);
    if (key === '--db') args.dbs = value.split(',') as Db[];
    else if (key === '--flood') args.floods = value.split(',') as Flood[];
    else if (key === '--seconds') args.seconds = Number(value);
    else if (key === '--realtime') args.realtime = path.resolve(value);
    else if (key === '--label' && /^[a-z0-9-]{1,32}$/.test(value)) args.label = value;
    else if (arg === '--no-pin') args.pin = false;
    else {
      process.stderr.write(`unknown argument ${arg}\n`);
      process.exit(2);
    }
  }
  if (args.dbs.some((d) => d !== 'pglite' && d !== 'postgres')) throw new Error('--db takes pglite,postgres');
  if (args.floods.some((f) => f !== 'ops' && f !== 'sync')) throw new Error('--flood takes ops,sync');
  if (!(args.seconds > 0)) throw new Error('--seconds takes a positive number');
  return args;
}

interface Samples {
  latencies: number[];
  missing: number;
  refused: Record<string, number>;
}

const newSamples = (): Samples => ({ latencies: [], missing: 0, refused: {} });

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  missing: number;
  refused: Record<string, number>;
}

function summarize(samples: Samples): Summary {
  const { latencies } = samples;
  return {
    n: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.length ? Math.max(...latencies) : Number.NaN,
    missing: samples.missing,
    refused: samples.refused,
  };
}

/** GET /healthz on a new connection; resolves with the time to the full answer (ms), or null. */
function healthz(port: number): Promise<number | null> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? performance.now() - started : null));
    });
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

/** A joined raw connection: `send` a message, `onMessage` sees every later frame's text. */
function joinMap(
  url: string,
  token: string,
  mapId: string,
  clientId: string,
  onMessage: (text: string) => void = () => {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`, { origin: BENCH_ORIGIN });
    const timer = setTimeout(() => reject(new Error(`${clientId}: not joined in 60 s`)), 60_000);
    let joined = false;
    ws.on('open', () =>
      ws.send(
        JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, clientId, name: clientId, color: '#0000ff' }),
      ),
    );
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (joined) onMessage(text);
      else if (text.startsWith('{"type":"welcome"')) ws.send(JSON.stringify({ type: 'join', mapId }));
      else if (text.startsWith('{"type":"snapshot"') || text.startsWith('{"type":"replay"')) {
        joined = true;
        clearTimeout(timer);
        resolve(ws);
      } else if (text.startsWith('{"type":"error"')) reject(new Error(`${clientId}: ${text.slice(0, 200)}`));
    });
    ws.on('error', reject);
  });
}

const createOp = (id: string, lng = 0) => ({
  kind: 'feature.create',
  feature: {
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [lng, 0] },
    properties: { title: id },
    version: 0,
  },
});

/** Send ops on several connections at once and wait for every answer; how many were acked. */
async function seed(url: string, token: string, mapId: string): Promise<number> {
  const perConnection = SEED_OPS / SEED_CONNECTIONS;
  const acked = await Promise.all(
    Array.from({ length: SEED_CONNECTIONS }, async (_, c) => {
      let answers = 0;
      let acks = 0;
      let done: () => void = () => {};
      const finished = new Promise<void>((resolve) => {
        done = resolve;
      });
      const ws = await joinMap(url, token, mapId, `seed-${c}`, (text) => {
        if (!text.startsWith('{"type":"ack"') && !text.startsWith('{"type":"reject"')) return;
        answers++;
        if (text.startsWith('{"type":"ack"')) acks++;
        if (answers === perConnection) done();
      });
      for (let i = 0; i < perConnection; i++) {
        const opId = `seed-${c}-${i}`;
        ws.send(JSON.stringify({ type: 'op', mapId, opId, op: createOp(opId, i % 180) }));
      }
      await finished;
      ws.terminate();
      return acks;
    }),
  );
  return acked.reduce((a, b) => a + b, 0);
}

interface Run {
  /** The machine's 1-minute load average when the flood ended (the machine may be shared). */
  loadAverage: number;
  db: Db;
  flood: Flood;
  quiet: { health: Summary; op: Summary };
  flooded: { health: Summary; op: Summary };
  flooder: FloodReport;
  seeded?: number;
}

async function runOne(args: Args, db: Db, flood: Flood, log: (line: string) => void): Promise<Run> {
  const split = args.pin && cpus().length >= 2;
  const node = await startSingleNode({
    db,
    nodeId: `reliability-${db}`,
    pin: args.pin,
    realtimeDir: args.realtime,
  });
  const { ws, port } = node;
  try {
    const created = await node.createMap(`Reliability ${db} ${flood}`);
    const { mapId } = created;
    const editToken = await node.token(mapId, created.editKey);
    const viewToken = await node.token(mapId, created.viewKey);
    const seeded = flood === 'sync' ? await seed(ws, editToken, mapId) : undefined;
    if (seeded !== undefined) log(`  seeded ${seeded} ops`);

    // The measuring editor: its own feature, moved every OP_INTERVAL_MS.
    let samples = { health: newSamples(), op: newSamples() };
    const sentAt = new Map<string, { at: number; into: Samples }>();
    const editor = await joinMap(ws, editToken, mapId, 'probe', (text) => {
      const opId = /"opId":"([^"]+)"/.exec(text)?.[1];
      const isAck = text.startsWith('{"type":"ack"');
      if (!opId || (!isAck && !text.startsWith('{"type":"reject"'))) return;
      const sent = sentAt.get(opId);
      if (!sent) return;
      sentAt.delete(opId);
      if (isAck) sent.into.latencies.push(performance.now() - sent.at);
      else {
        const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? '?';
        sent.into.refused[code] = (sent.into.refused[code] ?? 0) + 1;
      }
    });
    editor.send(JSON.stringify({ type: 'op', mapId, opId: 'probe-create', op: createOp('probe-feature') }));
    let probing = true;
    let k = 0;
    const opTimer = setInterval(() => {
      const opId = `probe-${k++}`;
      sentAt.set(opId, { at: performance.now(), into: samples.op });
      editor.send(
        JSON.stringify({
          type: 'op',
          mapId,
          opId,
          op: {
            kind: 'feature.move',
            id: 'probe-feature',
            geometry: { type: 'Point', coordinates: [k % 180, 0] },
          },
        }),
      );
    }, OP_INTERVAL_MS);
    const healthLoop = (async () => {
      while (probing) {
        const into = samples.health;
        const ms = await healthz(port);
        if (ms === null) into.missing++;
        else into.latencies.push(ms);
        await new Promise((resolve) => setTimeout(resolve, HEALTH_INTERVAL_MS));
      }
    })();
    const settle = async (phase: Samples) => {
      // Ops still unanswered get until ANSWER_TIMEOUT_MS; then they count as missing.
      const deadline = performance.now() + ANSWER_TIMEOUT_MS;
      while ([...sentAt.values()].some((s) => s.into === phase) && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      for (const [opId, s] of sentAt) {
        if (s.into !== phase) continue;
        phase.missing++;
        sentAt.delete(opId);
      }
    };

    await new Promise((resolve) => setTimeout(resolve, QUIET_S * 1000));
    const quiet = samples;
    samples = { health: newSamples(), op: newSamples() };
    log(`  flooding (${flood}) for ${args.seconds} s`);
    const child = fork(FLOODER_ENTRY, [], {
      execArgv: nodeFlags(),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const unregisterChild = registerCleanup(async () => {
      child.kill('SIGKILL');
    });
    if (split) await pinToCpus(child.pid, '1').catch(() => {});
    const spec: FloodSpec = {
      url: ws,
      token: flood === 'ops' ? editToken : viewToken,
      mapId,
      origin: BENCH_ORIGIN,
      kind: flood,
      seconds: args.seconds,
      syncTo: SEED_OPS,
    };
    const report = new Promise<FloodReport>((resolve, reject) => {
      child.once('message', (message) => resolve(message as FloodReport));
      child.once('exit', (code) => reject(new Error(`flooder exited (${code}) without a report`)));
    });
    child.send(spec);
    const flooder = await report;
    unregisterChild();
    const flooded = samples;
    clearInterval(opTimer);
    probing = false;
    await healthLoop;
    await settle(quiet.op);
    await settle(flooded.op);
    editor.terminate();
    return {
      loadAverage: loadavg()[0] ?? Number.NaN,
      db,
      flood,
      quiet: { health: summarize(quiet.health), op: summarize(quiet.op) },
      flooded: { health: summarize(flooded.health), op: summarize(flooded.op) },
      flooder,
      ...(seeded === undefined ? {} : { seeded }),
    };
  } finally {
    await node.stop();
  }
}

const ms = (value: number) =>
  Number.isNaN(value) ? '–' : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
/** The slowest answer; an answer that never came within the timeout is slower than any. */
const worst = (summary: Summary) =>
  summary.missing > 0 ? `> ${ANSWER_TIMEOUT_MS / 1000} s` : ms(summary.max);
const codes = (table: Record<string, number>) =>
  Object.entries(table)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ') || '–';

function table(label: string, runs: Run[]): string {
  const rows = runs.map((r) => {
    const f = r.flooded;
    const flooder =
      r.flood === 'ops'
        ? `sent ${r.flooder.sent}, acked ${r.flooder.acks}, rejects: ${codes(r.flooder.rejects)}, errors: ${codes(r.flooder.errors)}`
        : `sent ${r.flooder.sent}, replays ${r.flooder.replays}, errors: ${codes(r.flooder.errors)}`;
    return (
      `| ${label} | ${r.db} | ${r.flood} | ${ms(r.quiet.health.max)} | **${worst(f.health)}** (${f.health.n} answers, ${f.health.missing} unanswered in ${ANSWER_TIMEOUT_MS / 1000} s) | ` +
      `${ms(r.quiet.op.p99)} | **${ms(f.op.p99)}** (p50 ${ms(f.op.p50)}, max ${ms(f.op.max)}, ${f.op.n} acked, ${f.op.missing} unanswered, refused: ${codes(f.op.refused)}) | ` +
      `${flooder}; closes: ${codes(r.flooder.closes)} | ${r.loadAverage.toFixed(1)} |`
    );
  });
  return [
    '| version | database | flood | /healthz worst, quiet | /healthz worst, flooded | other op p99, quiet | other op p99, flooded | flooder | load avg |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const log = (line: string) =>
    process.stdout.write(`[${((Date.now() - t0) / 1e3).toFixed(0).padStart(4)} s] ${line}\n`);
  process.once('SIGINT', () => void runCleanups().finally(() => process.exit(130)));
  if (args.pin && cpus().length >= 2) await pinToCpus(process.pid, '1');
  const runs: Run[] = [];
  for (const db of args.dbs) {
    for (const flood of args.floods) {
      log(`${args.label}: ${db}, ${flood} flood`);
      runs.push(await runOne(args, db, flood, log));
    }
  }
  const markdown = table(args.label, runs);
  process.stdout.write(
    `\n${markdown}\n\nGoals: /healthz worst ≤ ${GOALS.healthWorstMs} ms, other op p99 ≤ ${GOALS.opP99Ms} ms.\n`,
  );
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}reliability-${args.label}.json`;
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        command: `npm run bench:reliability -w @meridian/bench -- ${process.argv.slice(2).join(' ')}`.trim(),
        realtime: path.relative(REPO_ROOT, args.realtime),
        finishedAt: new Date().toISOString(),
        machine: machineInfo(),
        seconds: args.seconds,
        goals: GOALS,
        runs,
      },
      null,
      2,
    )}\n`,
  );
  log(`wrote ${file}`);
}

main().catch(async (error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  await runCleanups();
  process.exit(1);
});
