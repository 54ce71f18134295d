import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../client.ts';
import { openPglite } from '../drivers/pglite.ts';
import { openPostgres } from '../drivers/postgres.ts';
import type { Driver } from '../drivers/script-transaction.ts';
import { BACKENDS, createPostgresDatabase, type TestDatabase } from '../testing/backends.ts';
import { migrate } from './apply.ts';
import { SCHEMA_PATH } from './create.ts';
import { LOCKFILE_CONTENT, MIGRATION_FILE, MIGRATIONS_DIR, readMigrations } from './folder.ts';
import { NO_EXTERNAL_ENTITIES, openSchemaEngine } from './schema-engine.ts';

interface HistoryRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

function openDriver(kind: 'postgres' | 'pglite', target: TestDatabase): Promise<Driver> {
  if (kind === 'postgres' && target.options.databaseUrl) {
    return Promise.resolve(openPostgres({ url: target.options.databaseUrl, onConnectionError: () => {} }));
  }
  return openPglite(target.options.dataDir ?? '');
}

function history(driver: Driver): Promise<HistoryRow[]> {
  return driver.scriptTransaction((tx) =>
    tx.query<HistoryRow>('SELECT * FROM _prisma_migrations ORDER BY migration_name'),
  );
}

async function migrationsList() {
  const migrations = await readMigrations();
  return {
    baseDir: MIGRATIONS_DIR,
    lockfile: { path: 'migration_lock.toml', content: LOCKFILE_CONTENT },
    shadowDbInitScript: '',
    migrationDirectories: migrations.map((m) => ({
      path: m.name,
      migrationFile: { path: MIGRATION_FILE, content: { tag: 'ok' as const, value: m.script } },
    })),
  };
}

async function prismaEngine(driver: Driver): Promise<SchemaEngine> {
  return openSchemaEngine(
    { path: SCHEMA_PATH, content: await readFile(SCHEMA_PATH, 'utf8') },
    driver.adapter,
  );
}

describe.each(BACKENDS)('migrate on $kind', ({ kind, create }) => {
  let target: TestDatabase;
  let driver: Driver;
  const folders: string[] = [];

  beforeAll(async () => {
    target = await create();
    driver = await openDriver(kind, target);
  });

  afterAll(async () => {
    await driver?.close();
    await target?.drop();
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  async function migrationsCopy(): Promise<string> {
    const folder = await mkdtemp(join(tmpdir(), 'meridian-apply-'));
    folders.push(folder);
    await cp(MIGRATIONS_DIR, folder, { recursive: true });
    return folder;
  }

  it('builds the schema from empty and records each migration the way Prisma does', async () => {
    const migrations = await readMigrations();
    const result = await migrate(driver);
    expect(result.applied).toEqual(migrations.map((m) => m.name));

    const rows = await history(driver);
    expect(rows.map((row) => [row.migration_name, row.checksum, row.applied_steps_count])).toEqual(
      migrations.map((m) => [m.name, m.checksum, 1]),
    );
    expect(rows.every((row) => row.finished_at instanceof Date && row.rolled_back_at === null)).toBe(true);
    const tables = await driver.scriptTransaction((tx) =>
      tx.query<{ tablename: string }>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
      ),
    );
    expect(tables.map((t) => t.tablename)).toEqual([
      'Feature',
      'Layer',
      'Map',
      'Op',
      'ShareKey',
      '_prisma_migrations',
    ]);
  });

  it('does nothing the second time', async () => {
    const before = await history(driver);
    expect(await migrate(driver)).toEqual({ applied: [] });
    expect(await history(driver)).toEqual(before);
  });

  it("leaves a history Prisma's own engine reads as complete and unedited", async () => {
    const engine = await prismaEngine(driver);
    try {
      const list = await migrationsList();
      const diagnosis = await engine.diagnoseMigrationHistory({
        migrationsList: list,
        optInToShadowDatabase: false,
        filters: NO_EXTERNAL_ENTITIES,
      });
      expect(diagnosis).toMatchObject({
        editedMigrationNames: [],
        failedMigrationNames: [],
        hasMigrationsTable: true,
        history: null,
      });
      const applied = await engine.applyMigrations({ migrationsList: list, filters: NO_EXTERNAL_ENTITIES });
      expect(applied.appliedMigrationNames).toEqual([]);
    } finally {
      engine.free();
    }
  });

  it('refuses to go on when an applied migration was edited', async () => {
    const folder = await migrationsCopy();
    const [first] = await readMigrations(folder);
    if (!first) throw new Error('no migrations shipped');
    await writeFile(join(folder, first.name, MIGRATION_FILE), `${first.script}\n-- edited\n`);
    await expect(migrate(driver, { migrationsDir: folder })).rejects.toThrow(/edited after it was applied/);
  });

  it('rolls a failing migration back whole and records nothing for it', async () => {
    const folder = await migrationsCopy();
    await mkdir(join(folder, '20990101000000_broken'));
    await writeFile(
      join(folder, '20990101000000_broken', MIGRATION_FILE),
      'CREATE TABLE "Half" ("id" TEXT);\nSELECT no_such_function();\n',
    );
    await expect(migrate(driver, { migrationsDir: folder })).rejects.toThrow(/no_such_function/);
    const rows = await history(driver);
    expect(rows.map((row) => row.migration_name)).not.toContain('20990101000000_broken');
    const half = await driver.scriptTransaction((tx) =>
      tx.query(`SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'Half'`),
    );
    expect(half).toEqual([]);
  });

  // The history table is plain SQL, the same on both; Postgres is where `migrate deploy` runs.
  it.skipIf(kind === 'pglite')("treats a database that Prisma's engine migrated as up to date", async () => {
    const other = await create();
    const otherDriver = await openDriver(kind, other);
    const engine = await prismaEngine(otherDriver);
    try {
      const applied = await engine.applyMigrations({
        migrationsList: await migrationsList(),
        filters: NO_EXTERNAL_ENTITIES,
      });
      expect(applied.appliedMigrationNames.length).toBeGreaterThan(0);
      expect(await migrate(otherDriver)).toEqual({ applied: [] });
    } finally {
      engine.free();
      await otherDriver.close();
      await other.drop();
    }
  });
});

describe('migrate on postgres from two processes at once', () => {
  let target: TestDatabase;
  const dbs: Database[] = [];

  beforeAll(async () => {
    target = await createPostgresDatabase();
  });

  afterAll(async () => {
    for (const db of dbs) await db.close();
    await target?.drop();
  });

  it('applies each migration exactly once; the later starter waits and finds it done', async () => {
    for (let i = 0; i < 4; i++) dbs.push(await openDatabase({ ...target.options, migrate: false }));
    const results = await Promise.all(dbs.map((db) => migrate(db)));
    const names = (await readMigrations()).map((m) => m.name);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(names);
    const [db] = dbs;
    const rows = await db?.scriptTransaction((tx) =>
      tx.query('SELECT migration_name FROM _prisma_migrations'),
    );
    expect(rows).toHaveLength(names.length);
  });
});
