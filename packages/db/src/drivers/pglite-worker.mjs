// The worker thread that owns embedded PGlite (see pglite-thread.ts for the main-thread side and the
// message shapes). Plain JavaScript on purpose: Node loads it as is under vitest, tsx, plain node and
// next to an esbuild bundle, with no TypeScript loader inside the worker.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';

/** An error as plain data: DriverAdapterError's `cause` carries the Postgres error Prisma maps to codes. */
function errorData(error) {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const cause = error.name === 'DriverAdapterError' ? error.cause : undefined;
  return { name: error.name, message: error.message, cause };
}

/** A transaction PGlite holds open until the main thread ends it. */
function openScriptTransaction(pglite) {
  return new Promise((resolve, reject) => {
    let finish;
    const finished = new Promise((settle) => {
      finish = settle;
    });
    const done = pglite.transaction(async (tx) => {
      resolve({
        tx,
        end(commit) {
          finish(commit);
          return done;
        },
      });
      if (!(await finished)) await tx.rollback();
    });
    // Before it started, a failure is the opener's; after, whoever ends it awaits `done`. Handled
    // here either way, so it never becomes an unhandled rejection that would end the worker.
    done.catch(reject);
  });
}

const pglite = await PGlite.create(workerData.folder);
const adapter = await new PrismaPGlite(pglite).connect();
/** Open transactions by id: Prisma's (adapter transactions) and migrations' (script transactions). */
const transactions = new Map();
let nextTransactionId = 1;

function queryable(txId) {
  if (txId === undefined) return adapter;
  const transaction = transactions.get(txId);
  if (!transaction) throw new Error(`no open transaction ${txId}`);
  return transaction;
}

const handlers = {
  queryRaw: ({ txId, query }) => queryable(txId).queryRaw(query),
  executeRaw: ({ txId, query }) => queryable(txId).executeRaw(query),
  async executeScript({ script }) {
    await pglite.exec(script);
  },
  async startTransaction({ isolationLevel }) {
    const transaction = await adapter.startTransaction(isolationLevel);
    const txId = nextTransactionId++;
    transactions.set(txId, transaction);
    return { txId, options: transaction.options };
  },
  async commit({ txId }) {
    const transaction = queryable(txId);
    transactions.delete(txId);
    await transaction.commit();
  },
  async rollback({ txId }) {
    const transaction = queryable(txId);
    transactions.delete(txId);
    await transaction.rollback();
  },
  async beginScript() {
    const script = await openScriptTransaction(pglite);
    const txId = nextTransactionId++;
    transactions.set(txId, script);
    return txId;
  },
  async execScript({ txId, script }) {
    await queryable(txId).tx.exec(script);
  },
  async queryScript({ txId, sql, params }) {
    return (await queryable(txId).tx.query(sql, params)).rows;
  },
  async endScript({ txId, commit }) {
    const script = queryable(txId);
    transactions.delete(txId);
    await script.end(commit);
  },
  async close() {
    await pglite.close();
  },
};

parentPort.on('message', async ({ id, kind, ...args }) => {
  try {
    const handler = handlers[kind];
    if (!handler) throw new Error(`unknown request ${kind}`);
    parentPort.postMessage({ id, ok: true, value: await handler(args) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: errorData(error) });
  }
});
parentPort.postMessage({ ready: true });
