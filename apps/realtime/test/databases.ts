import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Database, openDatabase } from '@meridian/db';
import { inject } from 'vitest';

/** The Postgres server the integration tests create their databases on (npm test sets DATABASE_URL). */
export const POSTGRES_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

async function withAdmin(work: (db: Database) => Promise<unknown>): Promise<void> {
  const url = new URL(POSTGRES_URL);
  url.pathname = '/postgres';
  const admin = await openDatabase({ databaseUrl: url.toString(), migrate: false, poolMax: 1 });
  try {
    await work(admin);
  } finally {
    await admin.close();
  }
}

/** A fresh, migrated Postgres database for one test file; `drop` removes it (closing leftover connections). */
export async function createPostgresDatabase(): Promise<{
  url: string;
  name: string;
  drop(): Promise<void>;
}> {
  const name = uniqueName('meridian_rt_test');
  await withAdmin((admin) => admin.prisma.$executeRawUnsafe(`CREATE DATABASE "${name}"`));
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString(), migrate: true, poolMax: 1 });
  await db.close();
  return {
    name,
    url: url.toString(),
    drop: () =>
      withAdmin((admin) => admin.prisma.$executeRawUnsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  };
}

/** A temp folder for embedded PGlite and the node's data. */
export async function createDataDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'meridian-rt-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A data folder holding a migrated embedded database, copied from the run's template. */
export async function createEmbeddedDataDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const data = await createDataDir();
  await cp(inject('pgliteTemplate'), data.dir, { recursive: true });
  return data;
}

/**
 * What the nodes of one test cluster share, as a deployment's nodes do: a fresh Postgres
 * database, a Redis channel prefix of their own, a data folder. Spreads into `startClusterNode`;
 * `nodeEnv` configures a node in a child process the same way.
 */
export interface ClusterStorage {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  dataDir: string;
  nodeEnv: Record<string, string>;
  /** Drops the database and removes the data folder. */
  remove(): Promise<void>;
}

export async function createClusterStorage(options: {
  /** Names the Redis channel prefix, so a leftover key says which test wrote it. */
  name: string;
  /** Another Redis than the machine's (one a test stops and restarts). */
  redisUrl?: string;
}): Promise<ClusterStorage> {
  const database = await createPostgresDatabase();
  const data = await createDataDir();
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const redisPrefix = `${uniqueName(options.name)}:`;
  return {
    databaseUrl: database.url,
    redisUrl,
    redisPrefix,
    dataDir: data.dir,
    nodeEnv: {
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      REDIS_CHANNEL_PREFIX: redisPrefix,
      MERIDIAN_DATA_DIR: data.dir,
    },
    async remove() {
      await database.drop();
      await data.remove();
    },
  };
}
