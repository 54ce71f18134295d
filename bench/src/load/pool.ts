/** The coordinator's handle on the load-generator processes. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeFlags, pinToCpus, registerCleanup } from '../systems/spawn.ts';
import type { ClientSpec, Envelope, WorkerCommand, WorkerReply } from './plan.ts';

const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** A safety bound: filling a room of thousands of clients can take minutes on a busy machine. */
const PROGRESS_EVERY_MS = 10_000;
const REPLY_TIMEOUT_MS = 900_000;

type Pending = { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void };

export class WorkerPool {
  readonly #children: ChildProcess[];
  readonly #pending = new Map<number, Pending>();
  readonly #unregister: () => void;
  #nextId = 1;

  private constructor(children: ChildProcess[]) {
    this.#children = children;
    this.#unregister = registerCleanup(() => this.stop());
    for (const child of children) {
      child.on('message', (message: Envelope<WorkerReply>) => {
        const pending = this.#pending.get(message.id);
        if (!pending) return;
        this.#pending.delete(message.id);
        if (message.body.kind === 'error') pending.reject(new Error(`load worker: ${message.body.message}`));
        else pending.resolve(message.body);
      });
      child.on('exit', (code, signal) => {
        for (const pending of this.#pending.values())
          pending.reject(new Error(`load worker ${child.pid} exited (${code ?? signal})`));
        this.#pending.clear();
      });
    }
  }

  static async start(count: number, cpus: string | null): Promise<WorkerPool> {
    const children = Array.from({ length: count }, () =>
      fork(WORKER_ENTRY, [], {
        execArgv: nodeFlags(),
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    if (cpus !== null) await Promise.all(children.map((child) => pinToCpus(child.pid, cpus)));
    return new WorkerPool(children);
  }

  get size(): number {
    return this.#children.length;
  }

  get pids(): number[] {
    return this.#children.flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
  }

  request(worker: number, body: WorkerCommand): Promise<WorkerReply> {
    const child = this.#children[worker];
    if (!child?.connected) return Promise.reject(new Error(`load worker ${worker} is not running`));
    const id = this.#nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`load worker ${worker}: no answer to ${body.kind} in ${REPLY_TIMEOUT_MS} ms`));
      }, REPLY_TIMEOUT_MS);
      this.#pending.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      child.send({ id, body } satisfies Envelope<WorkerCommand>);
    });
  }

  /** Sends each worker its own command and waits for every answer of the expected kind. */
  async each<K extends WorkerReply['kind']>(
    kind: K,
    commandFor: (worker: number) => WorkerCommand,
  ): Promise<Extract<WorkerReply, { kind: K }>[]> {
    const replies = await Promise.all(this.#children.map((_, i) => this.request(i, commandFor(i))));
    return replies.map((reply) => {
      if (reply.kind !== kind) throw new Error(`load worker answered ${reply.kind}, expected ${kind}`);
      return reply as Extract<WorkerReply, { kind: K }>;
    });
  }

  /**
   * Deals clients out to the workers round-robin so each holds a share of every node and of
   * the senders; `onProgress` hears how many are connected every few seconds.
   */
  async connect(clients: readonly ClientSpec[], concurrency = 64, onProgress?: (connected: number) => void) {
    const shares = this.#children.map(() => [] as ClientSpec[]);
    clients.forEach((spec, i) => {
      shares[i % shares.length]?.push(spec);
    });
    const ticker = onProgress
      ? setInterval(() => {
          this.each('progress', () => ({ kind: 'progress' })).then(
            (replies) => onProgress(replies.reduce((n, r) => n + r.connected, 0)),
            () => {},
          );
        }, PROGRESS_EVERY_MS)
      : null;
    const replies = await this.each('connected', (i) => ({
      kind: 'connect',
      clients: shares[i] ?? [],
      concurrency,
    })).finally(() => {
      if (ticker) clearInterval(ticker);
    });
    return {
      opened: replies.reduce((n, r) => n + r.report.opened, 0),
      failed: replies.reduce((n, r) => n + r.report.failed, 0),
      retried: replies.reduce((n, r) => n + r.report.retried, 0),
      firstError: replies.find((r) => r.report.firstError)?.report.firstError ?? null,
      senderShares: shares.map((share) => share.filter((spec) => spec.sender).length),
    };
  }

  async disconnect(): Promise<void> {
    await this.each('disconnected', () => ({ kind: 'disconnect' }));
  }

  async stop(): Promise<void> {
    this.#unregister();
    await Promise.all(
      this.#children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}
