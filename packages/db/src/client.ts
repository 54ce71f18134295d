import { openPgliteThread } from './drivers/pglite-thread.ts';
import { openPostgres } from './drivers/postgres.ts';
import type { Driver, RunInScriptTransaction } from './drivers/script-transaction.ts';
import { PrismaClient } from './generated/prisma/client.ts';
import { migrate } from './migrations/apply.ts';
import { withStorage } from './storage-errors.ts';

export interface OpenDatabaseOptions {
  /** `postgres://…` selects a Postgres server; absent selects embedded PGlite under `dataDir`. */
  databaseUrl?: string;
  /** Where embedded PGlite keeps its files (`<dataDir>/pglite`). Default `./.data`. */
  dataDir?: string;
  /**
   * The embedded database's worker file (a path or file URL), for a bundle that does not emit it as
   * `pglite-worker.mjs` beside itself. Default: `src/drivers/pglite-worker.mjs` of this package.
   */
  pgliteWorker?: string | URL;
  /** Apply pending migrations before returning. Default true. */
  migrate?: boolean;
  /** Most Postgres connections this process holds. Default 10. */
  poolMax?: number;
  /** Told about connection errors outside any query (a dropped idle connection). Default: stderr. */
  onConnectionError?: (error: Error) => void;
}

export interface Database {
  prisma: PrismaClient;
  kind: 'postgres' | 'pglite';
  /** Resolves when the database answers a query; throws STORAGE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Raw multi-statement SQL in one transaction on one connection (migrations use it). */
  scriptTransaction: RunInScriptTransaction;
}

/** Long enough for a writer to wait behind the other writers of a busy map. */
const TRANSACTION_MAX_WAIT_MS = 10_000;
const TRANSACTION_TIMEOUT_MS = 15_000;

function logConnectionError(error: Error): void {
  console.error(`[db] connection error: ${error.message}`);
}

async function openDriver(options: OpenDatabaseOptions): Promise<{ driver: Driver; kind: Database['kind'] }> {
  const onConnectionError = options.onConnectionError ?? logConnectionError;
  if (options.databaseUrl) {
    const protocol = options.databaseUrl.split(':', 1)[0];
    if (protocol !== 'postgres' && protocol !== 'postgresql') {
      throw new Error(`DATABASE_URL must be a postgres:// or postgresql:// URL, got "${protocol}:"`);
    }
    const driver = openPostgres({ url: options.databaseUrl, poolMax: options.poolMax, onConnectionError });
    return { driver, kind: 'postgres' };
  }
  const driver = await withStorage('opening embedded PGlite', () =>
    openPgliteThread(options.dataDir ?? './.data', options.pgliteWorker),
  );
  return { driver, kind: 'pglite' };
}

/**
 * Opens Meridian's database: a Postgres server when `databaseUrl` is set, otherwise embedded PGlite.
 * Checks that it answers, and applies pending migrations unless `migrate: false`.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const { driver, kind } = await openDriver(options);
  return databaseOn(driver, kind, options);
}

/** A Database over an open driver (closed with it); tests reach a driver's internals this way. */
export async function databaseOn(
  driver: Driver,
  kind: Database['kind'],
  options: Pick<OpenDatabaseOptions, 'migrate'> = {},
): Promise<Database> {
  const prisma = new PrismaClient({
    adapter: driver.adapter,
    transactionOptions: { maxWait: TRANSACTION_MAX_WAIT_MS, timeout: TRANSACTION_TIMEOUT_MS },
  });
  let closed: Promise<void> | undefined;
  const db: Database = {
    prisma,
    kind,
    async ping() {
      await withStorage('ping', () => prisma.$queryRaw`SELECT 1`);
    },
    close() {
      closed ??= prisma.$disconnect().finally(() => driver.close());
      return closed;
    },
    scriptTransaction: driver.scriptTransaction,
  };
  try {
    await db.ping();
    if (options.migrate ?? true) {
      await migrate(db);
    }
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
  return db;
}
