import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {
  IsolationLevel,
  SqlDriverAdapter,
  SqlQuery,
  SqlResultSet,
  Transaction,
  TransactionOptions,
} from '@prisma/driver-adapter-utils';
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { storageUnavailable } from '../storage-errors.ts';
import type { Driver, ScriptTransaction } from './script-transaction.ts';

/**
 * Where the worker's code is by default. A bundle of the realtime service emits this file under the
 * same name next to the bundle (import.meta.url is then the bundle's URL), or names another place
 * with `openDatabase({ pgliteWorker })`.
 */
export const PGLITE_WORKER_URL = new URL('./pglite-worker.mjs', import.meta.url);

/** The calls the worker answers (pglite-worker.mjs `handlers`), with what each returns. */
interface Requests {
  queryRaw: [{ txId?: number; query: SqlQuery }, SqlResultSet];
  executeRaw: [{ txId?: number; query: SqlQuery }, number];
  executeScript: [{ script: string }, undefined];
  startTransaction: [{ isolationLevel?: IsolationLevel }, { txId: number; options: TransactionOptions }];
  commit: [{ txId: number }, undefined];
  rollback: [{ txId: number }, undefined];
  beginScript: [Record<string, never>, number];
  execScript: [{ txId: number; script: string }, undefined];
  queryScript: [{ txId: number; sql: string; params: unknown[] }, unknown[]];
  endScript: [{ txId: number; commit: boolean }, undefined];
  close: [Record<string, never>, undefined];
}
type Kind = keyof Requests;

interface ErrorData {
  name: string;
  message: string;
  cause?: ConstructorParameters<typeof DriverAdapterError>[0];
}

type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ErrorData };

/** Prisma maps a DriverAdapterError's cause to its codes (P2002 …); anything else is a plain Error. */
function errorFromData(data: ErrorData): Error {
  if (data.name === 'DriverAdapterError' && data.cause) return new DriverAdapterError(data.cause);
  return new Error(data.message);
}

/** The worker and its outstanding requests: every request settles, even when the worker dies. */
class PgliteThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  #nextId = 1;
  /** Set once the worker is gone: every later request fails with it at once. */
  #stopped: Error | undefined;

  constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: Answer) => {
      const request = this.#pending.get(message.id);
      if (!request) return;
      this.#pending.delete(message.id);
      if (message.ok) request.resolve(message.value);
      else request.reject(errorFromData(message.error));
    });
    worker.on('error', (error) => this.#stop(error));
    worker.on('exit', (code) => this.#stop(new Error(`the embedded database worker exited (code ${code})`)));
  }

  request<K extends Kind>(kind: K, args: Requests[K][0]): Promise<Requests[K][1]> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ id, kind, ...args });
    });
  }

  /** Closes PGlite cleanly when the worker answers, then ends the thread whatever happened. */
  async close(): Promise<void> {
    await this.request('close', {}).catch(() => {});
    await this.#worker.terminate();
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }

  #stop(cause: Error): void {
    this.#stopped ??= storageUnavailable('embedded database', cause);
    for (const request of this.#pending.values()) request.reject(this.#stopped);
    this.#pending.clear();
  }
}

function startWorker(folder: string, workerFile: string | URL): Promise<PgliteThread> {
  const url = typeof workerFile === 'string' ? pathToFileURL(resolve(workerFile)) : workerFile;
  // No TypeScript loader inside: the worker is plain JavaScript (see pglite-worker.mjs).
  const worker = new Worker(url, { workerData: { folder }, execArgv: [] });
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    const exited = (code: number) => reject(new Error(`the embedded database worker exited (code ${code})`));
    worker.once('error', failed);
    worker.once('exit', exited);
    worker.once('message', (message: { ready?: boolean }) => {
      worker.off('error', failed);
      worker.off('exit', exited);
      if (message.ready) resolve(new PgliteThread(worker));
      else reject(new Error('the embedded database worker did not start'));
    });
  });
}

/** Prisma's queries run in the worker; `txId` names one of its open transactions. */
function queryable(thread: PgliteThread, txId?: number) {
  return {
    provider: 'postgres' as const,
    adapterName: '@meridian/pglite-thread',
    queryRaw: (query: SqlQuery) => thread.request('queryRaw', { txId, query }),
    executeRaw: (query: SqlQuery) => thread.request('executeRaw', { txId, query }),
  };
}

function adapter(thread: PgliteThread): SqlDriverAdapter {
  return {
    ...queryable(thread),
    executeScript: (script) => thread.request('executeScript', { script }),
    async startTransaction(isolationLevel): Promise<Transaction> {
      const { txId, options } = await thread.request('startTransaction', { isolationLevel });
      return {
        ...queryable(thread, txId),
        options,
        commit: () => thread.request('commit', { txId }),
        rollback: () => thread.request('rollback', { txId }),
      };
    },
    getConnectionInfo: () => ({ supportsRelationJoins: true }),
    // The thread outlives Prisma's connection: Driver.close ends it.
    dispose: () => Promise.resolve(),
  };
}

/**
 * Embedded PGlite in a worker thread, for running with no database server. PGlite executes each
 * statement synchronously in Wasm (its files are written synchronously too), so in the main thread a
 * busy map would stop the event loop for as long as its commits run. Here the worker owns the PGlite
 * instance and Prisma's driver adapter; the main thread's Prisma client sends it each query and
 * transaction step as a message. If the worker dies, every outstanding and later call fails with
 * STORAGE_UNAVAILABLE. `terminate` is for tests that kill it.
 */
export async function openPgliteThread(
  dataDir: string,
  workerFile: string | URL = PGLITE_WORKER_URL,
): Promise<Driver & { terminate(): Promise<number> }> {
  const folder = resolve(join(dataDir, 'pglite'));
  await mkdir(folder, { recursive: true });
  const thread = await startWorker(folder, workerFile);
  const connection = adapter(thread);

  return {
    adapter: {
      provider: 'postgres',
      adapterName: '@meridian/pglite-thread',
      connect: () => Promise.resolve(connection),
      connectToShadowDb: () =>
        Promise.reject(new Error('the embedded database has no shadow database (use drivers/pglite.ts)')),
    },
    async scriptTransaction<T>(work: (tx: ScriptTransaction) => Promise<T>): Promise<T> {
      const txId = await thread.request('beginScript', {});
      const tx: ScriptTransaction = {
        exec: (script) => thread.request('execScript', { txId, script }),
        query: async <Row>(sql: string, params: unknown[] = []) =>
          (await thread.request('queryScript', { txId, sql, params })) as Row[],
      };
      let result: T;
      try {
        result = await work(tx);
      } catch (error) {
        await thread.request('endScript', { txId, commit: false }).catch(() => {});
        throw error;
      }
      await thread.request('endScript', { txId, commit: true });
      return result;
    },
    close: () => thread.close(),
    terminate: () => thread.terminate(),
  };
}
