import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, MeridianError } from '@meridian/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './client.ts';
import { createMap, getMap } from './maps.ts';
import {
  createPgliteFolder,
  createPostgresDatabase,
  type TestDatabase,
  terminateConnections,
} from './testing/backends.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function track<T extends TestDatabase>(target: Promise<T>): Promise<T> {
  const value = await target;
  cleanups.push(value.drop);
  return value;
}

async function open(options: Parameters<typeof openDatabase>[0]): Promise<Database> {
  const db = await openDatabase(options);
  cleanups.push(() => db.close());
  return db;
}

async function openError(options: Parameters<typeof openDatabase>[0]): Promise<unknown> {
  return openDatabase(options).then(
    (db) => db.close().then(() => new Error('opened')),
    (error: unknown) => error,
  );
}

describe('openDatabase', () => {
  it('opens Postgres for a postgres:// URL, migrated and answering', async () => {
    const target = await track(createPostgresDatabase());
    const db = await open({ databaseUrl: target.url });
    expect(db.kind).toBe('postgres');
    await db.ping();
    expect(await db.prisma.map.count()).toBe(0);
  });

  it('leaves the schema alone with migrate: false', async () => {
    const target = await track(createPostgresDatabase());
    const db = await open({ databaseUrl: target.url, migrate: false });
    const tables = await db.scriptTransaction((tx) =>
      tx.query(`SELECT 1 FROM pg_tables WHERE schemaname = 'public'`),
    );
    expect(tables).toEqual([]);
  });

  it('opens PGlite under <dataDir>/pglite and keeps data across reopening', async () => {
    const target = await track(createPgliteFolder());
    const first = await openDatabase({ dataDir: target.dataDir });
    expect(first.kind).toBe('pglite');
    const { map } = await createMap(first, { name: 'Kept' });
    await first.close();
    expect(existsSync(join(target.dataDir, 'pglite', 'PG_VERSION'))).toBe(true);

    const second = await open({ dataDir: target.dataDir });
    expect(await getMap(second, map.id)).toEqual(map);
  });

  it('fails with STORAGE_UNAVAILABLE when nothing listens, instead of hanging', async () => {
    const error = await openError({ databaseUrl: 'postgres://postgres@127.0.0.1:1/meridian' });
    expect(error).toBeInstanceOf(MeridianError);
    expect((error as MeridianError).code).toBe(ErrorCode.STORAGE_UNAVAILABLE);
  });

  it('fails with STORAGE_UNAVAILABLE for a database that does not exist', async () => {
    const url = new URL((await track(createPostgresDatabase())).url);
    url.pathname = '/meridian_db_test_does_not_exist';
    const error = await openError({ databaseUrl: url.toString() });
    expect((error as MeridianError).code).toBe(ErrorCode.STORAGE_UNAVAILABLE);
  });

  it('refuses a URL that is not postgres', async () => {
    await expect(openDatabase({ databaseUrl: 'mysql://root@127.0.0.1/x' })).rejects.toThrow(/postgres:\/\//);
  });

  it('survives the server dropping its connections, reporting them and reconnecting', async () => {
    const target = await track(createPostgresDatabase());
    const errors: Error[] = [];
    const db = await open({ databaseUrl: target.url, onConnectionError: (error) => errors.push(error) });
    await Promise.all([db.ping(), db.ping(), db.ping()]);

    const terminated = await terminateConnections(target.name);
    expect(terminated).toBeGreaterThan(0);
    // Every idle pooled connection reports its end; until then the pool may still hand one out.
    for (let i = 0; i < 250 && errors.length < terminated; i++) await sleep(20);
    expect(errors.length).toBeGreaterThanOrEqual(terminated);

    await db.ping();
    await createMap(db, { name: 'After the drop' });
  });
});
