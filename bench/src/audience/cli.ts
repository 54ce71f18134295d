/**
 * `npm run bench:audience -w @meridian/bench -- [--viewers=1000] [--nodes=3] [--duration-s=20] [--ops-per-s=10] [--no-pin]`
 *
 * One map, N viewers over the nodes, 5 editors moving a feature at 10 ops/s each and their
 * cursors at 20 Hz (see audience/run.ts). Prints a Markdown table and writes
 * bench/results/audience.json. Issue #16's target is 10,000 viewers on 3 nodes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { machineInfo } from '../report/machine.ts';
import { systemById } from '../systems/catalog.ts';
import { startRedis } from '../systems/redis.ts';
import { runCleanups } from '../systems/spawn.ts';
import { type AudienceReport, DEFAULT_AUDIENCE, runAudience } from './run.ts';

const RESULTS_DIR = fileURLToPath(new URL('../../results/', import.meta.url));

function positive(argv: string[], key: string, fallback: number): number {
  const raw = argv.find((a) => a.startsWith(`--${key}=`))?.split('=', 2)[1];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${key} takes a positive integer`);
  return n;
}

export function audienceTable(reports: AudienceReport[]): string {
  const f = (n: number, digits = 1) => n.toFixed(digits);
  return [
    '| viewers | nodes | ops/s offered | join all | msgs/viewer/s (ops · presence · audience) | ops committed | delivery ratio | op latency p50 / p99 | node RSS / viewer | editor saw watching |',
    '|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|',
    ...reports.map(
      (r) =>
        `| ${r.viewers} | ${r.nodes} | ${r.editors * r.opsOfferedPerEditorPerS} | ${f(r.joinAllMs / 1000)} s | ${f(r.messagesPerViewerPerS)} (${f(r.opsPerViewerPerS)} · ${f(r.presencePerViewerPerS)} · ${f(r.audiencePerViewerPerS, 2)}) | ${r.opsCommitted} | ${r.deliveryRatio.toFixed(4)} | ${f(r.opLatencyP50Ms)} / ${f(r.opLatencyP99Ms)} ms | ${f(r.rssPerViewerBytes / 1024)} KiB | ${r.watchingSeenByEditor} |`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const counts = (argv.find((a) => a.startsWith('--viewers='))?.split('=', 2)[1] ?? '1000')
    .split(',')
    .map(Number);
  const nodes = positive(argv, 'nodes', 3);
  const durationMs = positive(argv, 'duration-s', DEFAULT_AUDIENCE.durationMs / 1000) * 1000;
  const opsPerEditorPerS = positive(argv, 'ops-per-s', DEFAULT_AUDIENCE.opsPerEditorPerS);
  const pin = !argv.includes('--no-pin') && cpus().length >= 2;
  const t0 = Date.now();
  const log = (line: string) =>
    process.stdout.write(`[${((Date.now() - t0) / 1e3).toFixed(0).padStart(4)} s] ${line}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void runCleanups().finally(() => process.exit(130)));
  const redis = await startRedis(pin ? '0' : null);
  const reports: AudienceReport[] = [];
  try {
    for (const viewers of counts) {
      const deployment = await systemById('meridian-durable').start({
        nodes,
        redis,
        cpus: pin ? '0' : null,
        runId: `audience${Date.now().toString(36)}`,
      });
      try {
        log(`${viewers} viewers on ${nodes} nodes…`);
        reports.push(
          await runAudience(deployment, { ...DEFAULT_AUDIENCE, viewers, durationMs, opsPerEditorPerS, log }),
        );
      } finally {
        await deployment.stop();
      }
    }
  } finally {
    await redis.process.stop();
  }
  const table = audienceTable(reports);
  process.stdout.write(`\n${table}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    `${RESULTS_DIR}audience.json`,
    `${JSON.stringify({ finishedAt: new Date().toISOString(), machine: machineInfo(), pin, durationMs, reports }, null, 2)}\n`,
  );
  writeFileSync(`${RESULTS_DIR}audience.md`, `${table}\n`);
  if (reports.some((r) => r.deliveryRatio !== 1)) process.exitCode = 1;
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
