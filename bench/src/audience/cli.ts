/**
 * `npm run bench -- audience [--viewers=1000,5000,10000] [--nodes=3] [--duration-s=20] [--ops-per-s=10]
 *   [--viewer-processes=N] [--join-concurrency=200] [--heap-snapshots=dir] [--no-pin]`
 * (alias: `npm run bench:audience -w @meridian/bench -- ...`)
 *
 * One map, N viewers over the nodes, 5 editors moving features at 10 ops/s each and their
 * cursors at 20 Hz (see audience/run.ts). Prints a Markdown table and writes
 * bench/results/audience.json and .md. Issue #16's target is 10,000 viewers on 3 nodes.
 * With pinning (the default on 2+ CPUs), Redis and the nodes run on CPU 0, the viewer processes on CPU 1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { machineInfo } from '../report/machine.ts';
import { systemById } from '../systems/catalog.ts';
import { startRedis } from '../systems/redis.ts';
import { runCleanups } from '../systems/spawn.ts';
import { INSPECT_NODE_OPTIONS } from './node-inspector.ts';
import { type AudienceReport, DEFAULT_AUDIENCE, runAudience } from './run.ts';

const RESULTS_DIR = fileURLToPath(new URL('../../results/', import.meta.url));

const KNOWN = [
  'viewers',
  'nodes',
  'duration-s',
  'ops-per-s',
  'viewer-processes',
  'join-concurrency',
  'heap-snapshots',
];

function value(argv: string[], key: string): string | undefined {
  return argv.find((a) => a.startsWith(`--${key}=`))?.split('=', 2)[1];
}

function positive(argv: string[], key: string, fallback: number): number {
  const raw = value(argv, key);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${key} takes a positive integer`);
  return n;
}

/**
 * The nodes' CPU time per frame a viewer received over the editing window (all of the nodes' work,
 * commits and bus included, over the frames delivered): what a delivery costs the server, which a
 * loaded machine stretches far less than it stretches latency.
 */
export function nodeCpuPerFrameUs(r: AudienceReport): number {
  return (r.cpuCores.nodes / (r.messagesPerViewerPerS * r.viewers)) * 1e6;
}

export function audienceTable(reports: AudienceReport[]): string {
  const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
  const n = (x: number) => x.toLocaleString('en-US');
  return [
    '| viewers | nodes | ops/s offered | join all | msgs/viewer/s (ops · presence · audience) | ops committed | delivery ratio | op latency p50 / p99 | client queue p99 · commit p99 | node RSS / viewer (V8 heap) | editor saw watching | CPU cores: nodes · viewer procs (n) · editors | node CPU per frame | viewer loop delay p99 / max |',
    '|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|',
    ...reports.map(
      (r) =>
        `| ${n(r.viewers)} | ${r.nodes} | ${r.editors * r.opsOfferedPerEditorPerS} | ${f(r.joinAllMs / 1000)} s | ` +
        `${f(r.messagesPerViewerPerS)} (${f(r.opsPerViewerPerS)} · ${f(r.presencePerViewerPerS)} · ${f(r.audiencePerViewerPerS, 2)}) | ` +
        `${n(r.opsCommitted)} | ${r.deliveryRatio.toFixed(4)} | ${f(r.opLatencyP50Ms)} / ${f(r.opLatencyP99Ms)} ms | ` +
        `${f(r.clientQueueP99Ms)} · ${f(r.commitP99Ms)} ms | ${f(r.rssPerViewerBytes / 1024, 2)} KiB (${f(r.heapPerViewerBytes / 1024, 2)})${r.gcBeforeMemory ? '' : ' no GC'} | ` +
        `${n(r.watchingSeenByEditor)} | ${f(r.cpuCores.nodes, 2)} · ${f(r.cpuCores.viewerProcesses, 2)} (${r.viewerProcesses}) · ${f(r.cpuCores.editorsProcess, 2)} | ` +
        `${f(nodeCpuPerFrameUs(r), 2)} µs | ` +
        `${f(r.viewerLoopDelayP99Ms)} / ${f(r.viewerLoopDelayMaxMs)} ms |`,
    ),
  ].join('\n');
}

/**
 * Memory per viewer between two crowd sizes: (growth at the larger − growth at the smaller) over
 * the viewers added, which leaves out what a node allocates once whatever the crowd (code compiled
 * for the first joins, a room, pools) and the per-viewer figure at a small crowd includes.
 */
export function marginalMemory(reports: AudienceReport[]): string {
  const sorted = [...reports].sort((a, b) => a.viewers - b.viewers);
  const lines: string[] = [];
  for (let k = 1; k < sorted.length; k++) {
    const a = sorted[k - 1] as AudienceReport;
    const b = sorted[k] as AudienceReport;
    const added = b.viewers - a.viewers;
    if (added <= 0 || a.nodes !== b.nodes) continue;
    const rss = (b.rssPerViewerBytes * b.viewers - a.rssPerViewerBytes * a.viewers) / added;
    const heap = (b.heapPerViewerBytes * b.viewers - a.heapPerViewerBytes * a.viewers) / added;
    lines.push(
      `- from ${a.viewers.toLocaleString('en-US')} to ${b.viewers.toLocaleString('en-US')} viewers: ` +
        `${(rss / 1024).toFixed(2)} KiB RSS per viewer added, of which ${Number.isFinite(heap) ? (heap / 1024).toFixed(2) : '–'} KiB V8 heap`,
    );
  }
  return lines.length > 0 ? `\nMarginal node memory (GC'd, nodes summed):\n\n${lines.join('\n')}\n` : '';
}

/**
 * Bench-only: the nodes started inside open their inspector, each on a port of its own (for the
 * GC before a memory reading). Only they: the environment is restored once they have started.
 */
async function withNodeInspectors<T>(start: () => Promise<T>): Promise<T> {
  const nodeOptions = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = [nodeOptions, INSPECT_NODE_OPTIONS].filter(Boolean).join(' ');
  try {
    return await start();
  } finally {
    if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = nodeOptions;
  }
}

export async function mainAudience(argv: string[]): Promise<void> {
  for (const arg of argv) {
    const key = /^--([a-z-]+)=/.exec(arg)?.[1];
    if (arg !== '--no-pin' && (!key || !KNOWN.includes(key))) throw new Error(`unknown argument ${arg}`);
  }
  const counts = (value(argv, 'viewers') ?? '1000').split(',').map(Number);
  if (counts.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('--viewers takes positive integers');
  const nodes = positive(argv, 'nodes', 3);
  const durationMs = positive(argv, 'duration-s', DEFAULT_AUDIENCE.durationMs / 1000) * 1000;
  const opsPerEditorPerS = positive(argv, 'ops-per-s', DEFAULT_AUDIENCE.opsPerEditorPerS);
  const viewerProcesses = value(argv, 'viewer-processes') ? positive(argv, 'viewer-processes', 1) : 0;
  const joinConcurrency = positive(argv, 'join-concurrency', DEFAULT_AUDIENCE.joinConcurrency);
  const heapSnapshotDir = value(argv, 'heap-snapshots');
  const pin = !argv.includes('--no-pin') && cpus().length >= 2;
  const t0 = Date.now();
  const log = (line: string) =>
    process.stdout.write(`[${((Date.now() - t0) / 1e3).toFixed(0).padStart(4)} s] ${line}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void runCleanups().finally(() => process.exit(130)));
  const startedAt = new Date();
  const loadBefore = loadavg();
  const redis = await startRedis(pin ? '0' : null);
  const reports: AudienceReport[] = [];
  try {
    for (const viewers of counts) {
      const deployment = await withNodeInspectors(() =>
        systemById('meridian-durable').start({
          nodes,
          redis,
          cpus: pin ? '0' : null,
          runId: `audience${Date.now().toString(36)}`,
        }),
      );
      try {
        log(`${viewers} viewers on ${nodes} nodes…`);
        const report = await runAudience(deployment, {
          ...DEFAULT_AUDIENCE,
          viewers,
          durationMs,
          opsPerEditorPerS,
          joinConcurrency,
          viewerProcesses,
          viewerCpus: pin ? '1' : null,
          heapSnapshotDir,
          log,
        });
        reports.push(report);
        log(`\n${audienceTable([report])}`);
      } finally {
        await deployment.stop();
      }
    }
  } finally {
    await redis.process.stop();
    await runCleanups();
  }
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' / ');
  const table = audienceTable(reports);
  const markdown = `Load average (1/5/15 min) before ${load(loadBefore)}, after ${load(loadavg())}.\n\n${table}\n${marginalMemory(reports)}`;
  process.stdout.write(`\n${markdown}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    `${RESULTS_DIR}audience.json`,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        command: `npm run bench -- audience ${argv.join(' ')}`.trim(),
        machine: machineInfo(),
        pin,
        durationMs,
        reports,
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(`${RESULTS_DIR}audience.md`, markdown);
  if (reports.some((r) => r.deliveryRatio !== 1)) process.exitCode = 1;
}
