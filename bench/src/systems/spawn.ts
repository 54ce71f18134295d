/** Starting, pinning and stopping the benchmark's child processes. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';

/** `--import` value that runs TypeScript entries in a single process (the `tsx` CLI would add a parent). */
export function tsxImport(): string {
  return import.meta.resolve('tsx');
}

/**
 * Node flags for a benchmark child: with BENCH_CPU_PROF_DIR set, every Node process the
 * benchmark starts (servers and load workers) writes a V8 CPU profile there when it exits.
 * TypeScript entries run through tsx; pass the entry so that a bundled `.mjs` one runs without it.
 */
export function nodeFlags(entry?: string): string[] {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  // A bundled entry (plain JavaScript) runs without the TypeScript loader.
  const loader = entry?.endsWith('.mjs') ? [] : ['--import', tsxImport()];
  return [...loader, ...(dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [])];
}

/** Pins every thread of a process to the given CPU list (taskset syntax, e.g. "0" or "2-3"). */
export function pinToCpus(pid: number | undefined, cpus: string): Promise<void> {
  if (pid === undefined) return Promise.resolve();
  return new Promise((resolve, reject) => {
    execFile('taskset', ['-a', '-c', '-p', cpus, String(pid)], (error) =>
      error ? reject(error) : resolve(),
    );
  });
}

/** A port free right now on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const cleanups = new Set<() => Promise<void>>();

/** Work to do if the benchmark is interrupted (Ctrl-C): stop a process, drop a database. */
export function registerCleanup(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Runs every registered cleanup; the CLI calls it on SIGINT/SIGTERM. */
export async function runCleanups(): Promise<void> {
  const pending = [...cleanups];
  cleanups.clear();
  await Promise.allSettled(pending.map((cleanup) => cleanup()));
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** `performance.now()` when it was spawned. */
  readonly spawnedAtMs: number;
  /** Spawn to the first "ready" answer (set by `waitUntilReady`), or null before that. */
  readyAfterMs: number | null;
  /** The last lines the process wrote (stdout and stderr), for error messages. */
  stderrTail(): string;
  stop(): Promise<void>;
}

const STDERR_TAIL_CHARS = 4_000;

export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cpus: string | null,
): ManagedProcess {
  const spawnedAtMs = performance.now();
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  let tail = '';
  // With BENCH_LOG_DIR set, everything a server writes is kept there, one file per process.
  const logDir = process.env.BENCH_LOG_DIR;
  const logFile = logDir
    ? createWriteStream(`${logDir}/${name.replace(/[^A-Za-z0-9_.-]+/g, '_')}-${child.pid}.log`)
    : null;
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-STDERR_TAIL_CHARS);
      logFile?.write(chunk);
    });
  }
  child.once('exit', () => logFile?.end());
  if (cpus !== null) void pinToCpus(child.pid, cpus).catch(() => {});
  const pid = child.pid;
  const stop = () =>
    new Promise<void>((resolve) => {
      unregister();
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  const unregister = registerCleanup(stop);
  return { name, pid, child, spawnedAtMs, readyAfterMs: null, stderrTail: () => tail, stop };
}

/** How a benchmark starts one apps/realtime node (`startRealtimeNode`). */
export interface RealtimeNodeOptions {
  /** Names the process in logs and errors. */
  name: string;
  /** The service's entry: a TypeScript source (run through tsx) or a bundled `.mjs`. */
  entry: string;
  port: number;
  nodeId: string;
  /** The deployment's token signing secret, the same on every node. */
  secret: string;
  /** Empty: embedded PGlite under `dataDir`. */
  databaseUrl: string;
  /** Empty: no Redis, the in-process bus (one node). */
  redisUrl: string;
  redisPrefix?: string;
  dataDir?: string;
  /** The Origin the benchmark's clients send, when the node is to check it. */
  origin?: string;
  /** The service's documented knobs on top (PRESENCE_FLUSH_MS, ...). */
  env?: Record<string, string>;
  /** taskset CPU list, or null for no pinning. */
  cpus: string | null;
}

/** One realtime node on loopback, logging warnings only, with the benchmark's Node flags. */
export function startRealtimeNode(options: RealtimeNodeOptions): ManagedProcess {
  return startProcess(
    options.name,
    process.execPath,
    [...nodeFlags(options.entry), options.entry],
    {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(options.port),
      NODE_ID: options.nodeId,
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      ...(options.redisPrefix ? { REDIS_CHANNEL_PREFIX: options.redisPrefix } : {}),
      ...(options.dataDir ? { MERIDIAN_DATA_DIR: options.dataDir } : {}),
      MERIDIAN_AUTH_SECRET: options.secret,
      ...(options.origin ? { MERIDIAN_ALLOWED_ORIGINS: options.origin } : {}),
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    options.cpus,
  );
}

/** Polls until `ready` says yes (every 20 ms: start-up time is measured by it); fails early if the process dies. */
export async function waitUntilReady(
  proc: ManagedProcess,
  ready: () => Promise<boolean>,
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null)
      throw new Error(`${proc.name} exited before it was ready:\n${proc.stderrTail()}`);
    if (await ready().catch(() => false)) {
      proc.readyAfterMs = performance.now() - proc.spawnedAtMs;
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${proc.name} not ready in ${timeoutMs} ms:\n${proc.stderrTail()}`);
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await res.body?.cancel();
  return res.ok;
}
