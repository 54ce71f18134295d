import { randomUUID } from 'node:crypto';
import type { RunInScriptTransaction } from '../drivers/script-transaction.ts';
import { MIGRATIONS_DIR, readMigrations } from './folder.ts';

/**
 * The advisory lock key Prisma's own migrate commands take, so this and a `prisma migrate deploy`
 * (or a second process starting at the same moment) wait for each other instead of racing.
 */
export const MIGRATION_LOCK_KEY = 72707369;

/** Prisma's history table, exactly as its schema engine creates it for PostgreSQL. */
const CREATE_HISTORY_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

interface HistoryRow {
  checksum: string;
  finished_at: Date | null;
}

export interface MigrateOptions {
  migrationsDir?: string;
}

export interface MigrateResult {
  /** Names of the migrations this call applied, oldest first; empty when the database was current. */
  applied: string[];
}

/**
 * Applies the migrations folder's pending migrations, oldest first, each in its own transaction
 * that also records it in `_prisma_migrations` (same columns and checksum as Prisma, so
 * `prisma migrate deploy` treats them as applied). A migration that fails rolls back whole and
 * leaves no history row. Refuses to go on past a migration Prisma recorded as failed, or one whose
 * file changed after it was applied.
 */
export async function migrate(
  db: { scriptTransaction: RunInScriptTransaction },
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const migrations = await readMigrations(options.migrationsDir ?? MIGRATIONS_DIR);
  const applied: string[] = [];
  for (const migration of migrations) {
    const didApply = await db.scriptTransaction(async (tx) => {
      // Held until this transaction ends: whoever waited here sees the migration already applied.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await tx.exec(CREATE_HISTORY_TABLE);
      const history = await tx.query<HistoryRow>(
        'SELECT checksum, finished_at FROM _prisma_migrations WHERE migration_name = $1 AND rolled_back_at IS NULL',
        [migration.name],
      );
      if (history.some((row) => row.finished_at === null)) {
        throw new Error(
          `migration ${migration.name} is recorded as failed in _prisma_migrations; resolve it (prisma migrate resolve) before migrating`,
        );
      }
      const done = history.find((row) => row.finished_at !== null);
      if (done) {
        if (done.checksum !== migration.checksum) {
          throw new Error(`migration ${migration.name} was edited after it was applied (checksum differs)`);
        }
        return false;
      }
      const startedAt = new Date();
      await tx.exec(migration.script);
      await tx.query(
        `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
         VALUES ($1, $2, now(), $3, NULL, NULL, $4, 1)`,
        [randomUUID(), migration.checksum, migration.name, startedAt],
      );
      return true;
    });
    if (didApply) applied.push(migration.name);
  }
  return { applied };
}
