/**
 * `npm run bench` (quick) and `npm run bench:full`: every system, every scenario, one
 * machine. Prints Markdown tables and writes raw JSON, the tables and an SVG chart to
 * bench/results/.
 *
 *   tsx src/cli.ts quick|full [--systems=id,id] [--scenarios=fanout,storm,idle] [--no-pin] [--workers=N]
 *                             [--idle-counts=10000,25000] [--tag=name]
 *
 * `npm run bench -- join`: joining a map of 10,000 and 100,000 features, the streamed snapshot beside
 * the one-frame one (see join-snapshot.ts).
 *
 *   tsx src/cli.ts quick join [--counts=10000,100000] [--reps=3] [--no-pin]
 *
 * `npm run bench -- audience`: one map, thousands of viewers, 5 editors (see audience/cli.ts; alias
 * `npm run bench:audience -w @meridian/bench`).
 *
 *   tsx src/cli.ts quick audience [--viewers=1000,5000,10000] [--nodes=3] [--duration-s=20] [--no-pin] ...
 *
 * `npm run bench:faults`: Meridian alone under random faults (see scenarios/faults.ts).
 *
 *   tsx src/cli.ts faults [--duration-s=60] [--editors=30] [--nodes=3] [--seed=1]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { mainAudience } from './audience/cli.ts';
import { type JoinOptions, joinTable, runJoinBench } from './join-snapshot.ts';
import { latencyChart } from './report/chart.ts';
import { checkGoals, goalsTable } from './report/goals.ts';
import { machineInfo, softwareVersions } from './report/machine.ts';
import {
  errorsList,
  fanoutTable,
  footprintTable,
  idleNotes,
  idleTable,
  stormTable,
  sweepLevelsTable,
  sweepTable,
} from './report/tables.ts';
import { DEFAULT_FAULT_OPTIONS, type FaultOptions, faultTable, runFaults } from './scenarios/faults.ts';
import { withBench } from './scenarios/harness.ts';
import { MODES, type Mode } from './scenarios/modes.ts';
import { runSuite, SCENARIOS, type ScenarioId } from './scenarios/suite.ts';
import { DEFAULT_SYSTEMS, SYSTEMS, systemById } from './systems/catalog.ts';
import { runCleanups } from './systems/spawn.ts';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

interface Args {
  mode: Exclude<Mode, 'smoke'>;
  systems: string[] | null;
  scenarios: ScenarioId[];
  pin: boolean;
  workers: number | undefined;
  idleCounts: number[] | null;
  /** Names the output files `<mode>-<tag>.*` so a partial run does not overwrite the full one. */
  tag: string | null;
  /** Sweep levels instead of the mode's, and whether to run them all past a failing one. */
  sweepRates: number[] | null;
  sweepEveryLevel: boolean;
  /** The fan-out's rate and length instead of the mode's (e.g. the full mode's in a quick run). */
  fanout: { ratePerS: number; durationMs: number } | null;
}

function usage(problem: string): never {
  process.stderr.write(
    `${problem}\nusage: tsx src/cli.ts quick|full [--systems=${SYSTEMS.map((s) => s.id).join(',')}] ` +
      `[--scenarios=${SCENARIOS.join(',')}] [--no-pin] [--workers=N] [--idle-counts=N,N] [--sweep-rates=N,N (or --rates)] [--sweep-every-level] [--fanout=RATE,SECONDS] [--tag=name]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    mode: 'quick',
    systems: null,
    scenarios: [...SCENARIOS],
    pin: true,
    workers: undefined,
    idleCounts: null,
    tag: null,
    sweepRates: null,
    sweepEveryLevel: false,
    fanout: null,
  };
  for (const arg of argv) {
    const [key, value = ''] = arg.split('=', 2);
    if (arg === 'quick' || arg === 'full') args.mode = arg;
    else if (key === '--systems') args.systems = value.split(',').filter(Boolean);
    else if (key === '--scenarios') {
      args.scenarios = value.split(',').filter(Boolean) as ScenarioId[];
      for (const s of args.scenarios) if (!SCENARIOS.includes(s)) usage(`unknown scenario ${s}`);
    } else if (arg === '--no-pin') args.pin = false;
    else if (key === '--workers') {
      args.workers = Number(value);
      if (!Number.isInteger(args.workers) || args.workers < 1) usage('--workers takes a positive integer');
    } else if (key === '--idle-counts') {
      args.idleCounts = value.split(',').map(Number);
      if (args.idleCounts.some((n) => !Number.isInteger(n) || n < 1))
        usage('--idle-counts takes positive integers');
    } else if (key === '--sweep-rates' || key === '--rates') {
      args.sweepRates = value.split(',').map(Number);
      if (args.sweepRates.some((n) => !Number.isInteger(n) || n < 1))
        usage('--sweep-rates takes positive integers');
    } else if (arg === '--sweep-every-level') args.sweepEveryLevel = true;
    else if (key === '--fanout') {
      const [ratePerS = 0, seconds = 0] = value.split(',').map(Number);
      if (!Number.isInteger(ratePerS) || !(ratePerS > 0) || !(seconds > 0))
        usage('--fanout takes RATE,SECONDS: a positive integer rate and a positive length');
      args.fanout = { ratePerS, durationMs: seconds * 1000 };
    } else if (key === '--tag') {
      if (!/^[a-z0-9-]{1,32}$/.test(value)) usage('--tag takes 1-32 of a-z, 0-9 and -');
      args.tag = value;
    } else usage(`unknown argument ${arg}`);
  }
  return args;
}

function parseFaultArgs(argv: string[]): Partial<FaultOptions> {
  const options: Partial<FaultOptions> = {};
  const positive = (key: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) usage(`${key} takes a positive integer`);
    return n;
  };
  for (const arg of argv) {
    const [key = '', value = ''] = arg.split('=', 2);
    if (key === '--duration-s') options.durationMs = positive(key, value) * 1000;
    else if (key === '--editors') options.editors = positive(key, value);
    else if (key === '--nodes') options.nodes = positive(key, value);
    else if (key === '--seed') options.seed = positive(key, value);
    else usage(`unknown argument ${arg}`);
  }
  return options;
}

async function mainFaults(argv: string[]): Promise<void> {
  const options = { ...DEFAULT_FAULT_OPTIONS, ...parseFaultArgs(argv) };
  const t0 = Date.now();
  const log = (line: string) =>
    process.stdout.write(`[${((Date.now() - t0) / 1e3).toFixed(0).padStart(4)} s] ${line}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void runCleanups().finally(() => process.exit(130)));
  const startedAt = new Date();
  const report = await runFaults({ ...options, log });
  const markdown = `### Edits under random faults\n\n${faultTable(report)}\n`;
  process.stdout.write(`\n${markdown}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const raw = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: `npm run bench:faults -- ${argv.join(' ')}`.trim(),
    machine: machineInfo(),
    options: { ...options, log: undefined },
    report,
  };
  writeFileSync(`${RESULTS_DIR}faults.json`, `${JSON.stringify(raw, null, 2)}\n`);
  writeFileSync(`${RESULTS_DIR}faults.md`, markdown);
  log(`wrote ${RESULTS_DIR}faults.json and .md`);
  const clean =
    report.lost === 0 && report.duplicated === 0 && report.distinctHashes === 1 && report.unsettled === 0;
  if (!clean) process.exitCode = 1;
}

async function mainJoin(argv: string[]): Promise<void> {
  const options: JoinOptions = { counts: [10_000, 100_000], reps: 3, pin: true };
  for (const arg of argv) {
    const [key = '', value = ''] = arg.split('=', 2);
    if (key === '--counts') options.counts = value.split(',').map(Number);
    else if (key === '--reps') options.reps = Number(value);
    else if (arg === '--no-pin') options.pin = false;
    else usage(`unknown argument ${arg}`);
  }
  if (options.counts.some((n) => !Number.isInteger(n) || n < 1) || !(options.reps >= 1))
    usage('--counts takes positive integers, --reps a positive integer');
  const t0 = Date.now();
  const log = (line: string) =>
    process.stdout.write(`[${((Date.now() - t0) / 1e3).toFixed(0).padStart(4)} s] ${line}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void runCleanups().finally(() => process.exit(130)));
  const startedAt = new Date();
  // The machine is shared: say how busy it was.
  const loadBefore = loadavg();
  const report = await runJoinBench({ ...options, log });
  const loadAfter = loadavg();
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' / ');
  const markdown = `### Joining a big map\n\nLoad average (1/5/15 min) before ${load(loadBefore)}, after ${load(loadAfter)}.\n\n${joinTable(report)}\n`;
  process.stdout.write(`\n${markdown}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const raw = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: `npm run bench -- join ${argv.join(' ')}`.trim(),
    machine: machineInfo(),
    loadAverage: { before: loadBefore, after: loadAfter },
    options,
    report,
  };
  writeFileSync(`${RESULTS_DIR}join.json`, `${JSON.stringify(raw, null, 2)}\n`);
  writeFileSync(`${RESULTS_DIR}join.md`, markdown);
  log(`wrote ${RESULTS_DIR}join.json and .md`);
  if (report.rows.some((row) => !row.allEqual)) process.exitCode = 1;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'faults') return mainFaults(process.argv.slice(3));
  // `npm run bench -- join` arrives as `quick join`.
  const joinAt = process.argv.indexOf('join', 2);
  if (joinAt >= 0) return mainJoin(process.argv.slice(joinAt + 1));
  const audienceAt = process.argv.indexOf('audience', 2);
  if (audienceAt >= 0) return mainAudience(process.argv.slice(audienceAt + 1));
  const args = parseArgs(process.argv.slice(2));
  const systems = args.systems ? args.systems.map(systemById) : DEFAULT_SYSTEMS;
  const base = MODES[args.mode];
  const withIdle =
    args.idleCounts && base.idle ? { ...base, idle: { ...base.idle, counts: args.idleCounts } } : base;
  const withFanout = args.fanout ? { ...withIdle, fanout: { ...withIdle.fanout, ...args.fanout } } : withIdle;
  const config =
    withFanout.sweep && (args.sweepRates || args.sweepEveryLevel)
      ? {
          ...withFanout,
          sweep: {
            ...withFanout.sweep,
            ratesPerS: args.sweepRates ?? withFanout.sweep.ratesPerS,
            everyLevel: args.sweepEveryLevel,
          },
        }
      : withFanout;
  const startedAt = new Date();
  const t0 = Date.now();
  const log = (line: string) =>
    process.stdout.write(`[${((Date.now() - t0) / 1e3).toFixed(0).padStart(4)} s] ${line}\n`);

  const onSignal = (signal: string) => {
    log(`${signal}: stopping every process the benchmark started`);
    void runCleanups().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));

  const { reports, cpus, workers } = await withBench(
    { config, pin: args.pin, workers: args.workers, log },
    async (ctx) => {
      log(
        `mode ${args.mode}; servers and Redis on CPUs ${ctx.cpus.servers ?? 'any'}, ` +
          `${ctx.pool.size} load worker(s) on CPUs ${ctx.cpus.clients ?? 'any'}`,
      );
      return {
        reports: await runSuite(ctx, systems, new Set(args.scenarios)),
        cpus: ctx.cpus,
        workers: ctx.pool.size,
      };
    },
  );

  const goals = checkGoals(reports);
  const sections = [
    ['Fan-out latency (fixed offered load)', fanoutTable(reports)],
    ['Throughput sweep', sweepTable(reports)],
    ['Throughput sweep, every level', sweepLevelsTable(reports)],
    ['Cursor storm', stormTable(reports)],
    ['Idle connections on one node', [idleTable(reports), idleNotes(reports)].filter(Boolean).join('\n\n')],
    ['One idle node: start-up and memory', footprintTable(reports)],
    ['Goals', goalsTable(goals)],
    ['Errors', errorsList(reports)],
  ].filter(([, body]) => body !== '' && !(body?.startsWith('|') && body.split('\n').length <= 2));
  const markdown = sections.map(([title, body]) => `### ${title}\n\n${body}\n`).join('\n');
  process.stdout.write(`\n${markdown}\n`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const raw = {
    mode: args.mode,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command:
      `npm run ${args.mode === 'quick' ? 'bench' : 'bench:full'} -- ${process.argv.slice(3).join(' ')}`.trim(),
    machine: machineInfo(),
    versions: softwareVersions(),
    cpus,
    workers,
    config,
    goals,
    systems: reports,
  };
  const name = `${RESULTS_DIR}${args.mode}${args.tag ? `-${args.tag}` : ''}`;
  writeFileSync(`${name}.json`, `${JSON.stringify(raw, null, 2)}\n`);
  writeFileSync(`${name}.md`, markdown);
  writeFileSync(
    `${name}-latency.svg`,
    latencyChart(reports, `Delivery latency vs offered load (${args.mode} run, 1,000 clients, 3 nodes)`),
  );
  log(`wrote ${name}.json, .md and -latency.svg`);
}

main().catch(async (error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  await runCleanups();
  process.exit(1);
});
