/** Sets up what the scenarios share (CPU split, open-files limit, Redis, load workers) and tears it all down. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { WorkerPool } from '../load/pool.ts';
import { openFilesLimit } from '../load/proc.ts';
import { epochOf } from '../load/stamp.ts';
import { startRedis } from '../systems/redis.ts';
import { pinToCpus } from '../systems/spawn.ts';
import type { BenchContext, CpuPlan } from './context.ts';
import type { ModeConfig } from './modes.ts';

/** Enough descriptors for 50,000 clients and the server sockets they connect to, with room to spare. */
const OPEN_FILES = 200_000;
/** Descriptors a server or worker needs besides its client sockets (Redis, Postgres, files, pipes). */
const FD_RESERVE = 500;

export interface HarnessOptions {
  config: ModeConfig;
  /** Split the CPUs: servers and Redis on the first half, the load generator on the rest. */
  pin: boolean;
  /** Load-generator processes; defaults to one per client CPU. */
  workers?: number;
  log?: (line: string) => void;
}

export function planCpus(pin: boolean, cpus = availableParallelism()): CpuPlan {
  if (!pin || cpus < 2) return { servers: null, clients: null };
  const half = Math.floor(cpus / 2);
  const list = (from: number, to: number) => (from === to ? `${from}` : `${from}-${to}`);
  return { servers: list(0, half - 1), clients: list(half, cpus - 1) };
}

function cpuCount(list: string | null): number {
  if (list === null) return Math.max(1, Math.floor(availableParallelism() / 2));
  const [from, to] = list.split('-').map(Number);
  return to === undefined ? 1 : to - (from ?? 0) + 1;
}

/**
 * Raises this process's open-files limit, which every child inherits (root may raise the
 * hard limit; `ulimit -n` in a shell would not reach an npm script's process).
 */
export function raiseOpenFilesLimit(wanted = OPEN_FILES): number {
  if (openFilesLimit() >= wanted) return openFilesLimit();
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${wanted}:${wanted}`], {
      stdio: 'ignore',
    });
  } catch {
    // Not allowed to raise the hard limit: the idle-connection counts will stop where it does.
  }
  return openFilesLimit();
}

/** Sockets one process may hold under an open-files limit, leaving room for its other descriptors. */
export function socketsPerProcess(openFilesLimit: number): number {
  return Math.max(1, Math.floor((openFilesLimit - FD_RESERVE) / 1000) * 1000);
}

export interface OpenBench {
  ctx: BenchContext;
  close(): Promise<void>;
}

/** Starts the shared pieces; `close` stops every one of them. */
export async function openBench(options: HarnessOptions): Promise<OpenBench> {
  const openFiles = raiseOpenFilesLimit();
  const cpus = planCpus(options.pin);
  if (cpus.clients !== null) await pinToCpus(process.pid, cpus.clients);
  const redis = await startRedis(cpus.servers);
  let pool: WorkerPool;
  try {
    const idleMax = Math.max(0, ...(options.config.idle?.counts ?? []));
    // One process holds at most `openFiles` sockets: spread idle clients over enough workers.
    const perProcess = socketsPerProcess(openFiles);
    const forIdle = Math.ceil(Math.min(idleMax, perProcess) / perProcess);
    pool = await WorkerPool.start(options.workers ?? Math.max(cpuCount(cpus.clients), forIdle), cpus.clients);
  } catch (error) {
    await redis.process.stop();
    throw error;
  }
  let runs = 0;
  let names = 0;
  const ctx: BenchContext = {
    config: options.config,
    pool,
    redis,
    cpus,
    runId: `b${Date.now().toString(36)}${randomBytes(2).toString('hex')}`,
    nextEpoch: () => epochOf(++runs),
    uniqueName: (prefix) => `${prefix}${++names}`,
    log: options.log ?? (() => {}),
    openFilesLimit: openFiles,
  };
  return {
    ctx,
    close: async () => {
      await pool.stop();
      await redis.process.stop();
    },
  };
}

export async function withBench<T>(
  options: HarnessOptions,
  body: (ctx: BenchContext) => Promise<T>,
): Promise<T> {
  const bench = await openBench(options);
  try {
    return await body(bench.ctx);
  } finally {
    await bench.close();
  }
}
