import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { OpenDatabaseOptions } from '../client.ts';

/** The server the integration tests make their own databases on (its `postgres` db is the admin entry). */
export const POSTGRES_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** Options that open this database with `openDatabase`. */
  options: OpenDatabaseOptions;
  /** Removes the database (or folder) and everything in it. */
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = '/postgres';
  return url.toString();
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new, empty Postgres database with a unique name, on the test server. */
export async function createPostgresDatabase(): Promise<TestDatabase & { url: string; name: string }> {
  const name = `meridian_db_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    options: { databaseUrl: url.toString() },
    drop: () =>
      withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}

/** A new data folder for embedded PGlite under the system temp dir. */
export async function createPgliteFolder(): Promise<TestDatabase & { dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'meridian-db-test-'));
  return { dataDir, options: { dataDir }, drop: () => rm(dataDir, { recursive: true, force: true }) };
}

/** Closes every server-side connection to `name` (as a Postgres restart would). */
export async function terminateConnections(name: string): Promise<number> {
  return withAdmin(async (client) => {
    const result = await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    return result.rowCount ?? 0;
  });
}

/**
 * A PGlite folder as `createPgliteFolder` leaves it once opened (initdb done, nothing migrated),
 * copied from the run's template (testing/pglite-template.ts) instead of running initdb again.
 */
export async function createPgliteFromTemplate(): Promise<TestDatabase & { dataDir: string }> {
  // Imported here, not at the top: the benchmarks under bench/ use this module outside Vitest.
  const { inject } = await import('vitest');
  const folder = await createPgliteFolder();
  await cp(inject('pgliteTemplate'), folder.dataDir, { recursive: true });
  return folder;
}

export const BACKENDS = [
  { kind: 'postgres', create: createPostgresDatabase },
  { kind: 'pglite', create: createPgliteFromTemplate },
] as const;
