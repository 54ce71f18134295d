/**
 * The audience run's viewers, spread over several processes (viewers.ts), so that ten thousand
 * sockets are not one event loop's work: each process holds every `processes`-th viewer, joins
 * them in waves and counts what they are sent. Each is given the open-files limit it needs
 * (raised to the hard limit with prlimit when its soft one is lower) and pinned where told.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LatencyHistogram } from '../load/histogram.ts';
import { cpuSeconds, openFilesLimit } from '../load/proc.ts';
import { nodeFlags, pinToCpus, registerCleanup } from '../systems/spawn.ts';
import type { FleetCommand, FleetReply, ViewerCounts } from './fleet-protocol.ts';

const ENTRY = fileURLToPath(new URL('./viewers.ts', import.meta.url));
/** Files a process needs beyond its sockets (its own modules, pipes, stdio). */
const SPARE_FILES = 256;

export interface FleetReport {
  counts: ViewerCounts;
  latency: LatencyHistogram;
  /** Worst event-loop delay p99 and max over the viewer processes, in the measured window. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  firstError: string | null;
}

const zero = (): ViewerCounts => ({
  joined: 0,
  ops: 0,
  presence: 0,
  audience: 0,
  other: 0,
  closes: 0,
  failed: 0,
});

function sum(all: ViewerCounts[]): ViewerCounts {
  const total = zero();
  for (const c of all) for (const key of Object.keys(total) as (keyof ViewerCounts)[]) total[key] += c[key];
  return total;
}

/**
 * Makes sure process `pid` may hold `files` open files: raises its soft limit to its hard one
 * if needed (prlimit, same user), and fails early, naming the limit, when even that is too low.
 */
export function ensureOpenFiles(pid: number, files: number, name: string): number {
  let limit = openFilesLimit(pid);
  if (limit < files) {
    const hard = /^Max open files\s+\S+\s+(\d+|unlimited)/m.exec(
      readFileSync(`/proc/${pid}/limits`, 'utf8'),
    )?.[1];
    if (hard && hard !== 'unlimited') execFileSync('prlimit', [`--pid=${pid}`, `--nofile=${hard}:${hard}`]);
    limit = openFilesLimit(pid);
  }
  if (limit < files)
    throw new Error(
      `${name} (pid ${pid}) may open ${limit} files and needs ${files}: raise ulimit -n (hard)`,
    );
  return limit;
}

/**
 * Asks a viewer process to stop (it resets its sockets, so no client port is left in TIME_WAIT
 * for the next run), and kills it if it has not exited within 5 s.
 */
async function stopViewerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (child.connected) child.send({ type: 'stop' } satisfies FleetCommand);
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export class ViewerFleet {
  readonly #children: ChildProcess[] = [];
  readonly #latest: ViewerCounts[] = [];
  readonly #unregister: () => void;

  private constructor(children: ChildProcess[]) {
    this.#children = children;
    this.#unregister = registerCleanup(() => this.stop());
    children.forEach((child, k) => {
      this.#latest[k] = zero();
      child.on('message', (reply: FleetReply) => {
        if (reply.type === 'progress' || reply.type === 'opened' || reply.type === 'report')
          this.#latest[k] = reply.counts;
      });
    });
  }

  /** Starts `processes` viewer processes (pinned to `cpus` when given), ready for commands. */
  static async start(processes: number, cpus: string | null): Promise<ViewerFleet> {
    const children = Array.from({ length: processes }, () =>
      fork(ENTRY, [], { execArgv: nodeFlags(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const fleet = new ViewerFleet(children);
    await Promise.all(children.map((child) => fleet.#next(child, 'ready')));
    if (cpus !== null) await Promise.all(children.map((child) => pinToCpus(child.pid, cpus)));
    return fleet;
  }

  get pids(): number[] {
    return this.#children.map((child) => child.pid as number);
  }

  /** User + system CPU seconds the viewer processes have used so far. */
  cpuSeconds(): number {
    return this.pids.reduce((total, pid) => total + cpuSeconds(pid), 0);
  }

  /** Counts as last reported (every 200 ms, and at each step's end). */
  counts(): ViewerCounts {
    return sum(this.#latest);
  }

  /** Opens viewers 0..viewers-1, viewer i in process i % processes, `concurrency` at a time in all. */
  async open(
    viewers: number,
    target: Omit<Extract<FleetCommand, { type: 'open' }>, 'type' | 'indices' | 'concurrency'>,
    concurrency: number,
  ): Promise<{ counts: ViewerCounts; firstError: string | null }> {
    const n = this.#children.length;
    const replies = this.#children.map((child, k) => {
      const indices: number[] = [];
      for (let i = k; i < viewers; i += n) indices.push(i);
      ensureOpenFiles(child.pid as number, indices.length + SPARE_FILES, `viewer process ${k}`);
      const reply = this.#next(child, 'opened');
      child.send({
        type: 'open',
        ...target,
        indices,
        concurrency: Math.max(1, Math.ceil(concurrency / n)),
      } satisfies FleetCommand);
      return reply;
    });
    const all = await Promise.all(replies);
    return {
      counts: sum(all.map((r) => r.counts)),
      firstError: all.find((r) => r.firstError)?.firstError ?? null,
    };
  }

  /** From now on ops above `seqBefore` are counted and timed, and other frames counted. */
  async measure(seqBefore: number): Promise<void> {
    const replies = this.#children.map((child) => this.#next(child, 'measuring'));
    this.#broadcast({ type: 'measure', seqBefore });
    await Promise.all(replies);
  }

  /** An editor sent op `opId` at `atMs` (wall clock, sub-ms). */
  sent(opId: string, atMs: number): void {
    this.#broadcast({ type: 'sent', opId, atMs });
  }

  async report(): Promise<FleetReport> {
    const replies = this.#children.map((child) => this.#next(child, 'report'));
    this.#broadcast({ type: 'report' });
    const all = await Promise.all(replies);
    const latency = new LatencyHistogram();
    for (const r of all) latency.add(new LatencyHistogram(r.latency));
    return {
      counts: sum(all.map((r) => r.counts)),
      latency,
      loopDelayP99Ms: Math.max(...all.map((r) => r.loopDelayP99Ms)),
      loopDelayMaxMs: Math.max(...all.map((r) => r.loopDelayMaxMs)),
      firstError: all.find((r) => r.firstError)?.firstError ?? null,
    };
  }

  async stop(): Promise<void> {
    this.#unregister();
    await Promise.all(this.#children.map(stopViewerProcess));
  }

  #broadcast(command: FleetCommand): void {
    for (const child of this.#children) if (child.connected) child.send(command);
  }

  #next<T extends FleetReply['type']>(
    child: ChildProcess,
    type: T,
  ): Promise<Extract<FleetReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (reply: FleetReply) => {
        if (reply.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(reply as Extract<FleetReply, { type: T }>);
      };
      const onExit = (code: number | null) => {
        child.off('message', onMessage);
        reject(new Error(`viewer process ${child.pid} exited (${code}) waiting for '${type}'`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }
}
