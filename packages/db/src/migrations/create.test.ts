import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMigration, SCHEMA_PATH } from './create.ts';
import { LOCKFILE_CONTENT, MIGRATIONS_DIR, readMigrations } from './folder.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function copyOfMigrations(): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'meridian-create-migration-'));
  await cp(MIGRATIONS_DIR, join(dir, 'migrations'), { recursive: true });
  await cp(SCHEMA_PATH, join(dir, 'schema.prisma'));
  return dir;
}

// These run Prisma's schema engine (Wasm) with an in-memory PGlite as its shadow database.
describe('createMigration', () => {
  it('finds nothing to create: the committed migrations build exactly schema.prisma', async () => {
    const root = await copyOfMigrations();
    const result = await createMigration({
      name: 'drift_check',
      migrationsDir: join(root, 'migrations'),
      schemaPath: join(root, 'schema.prisma'),
    });
    expect(result).toEqual({ status: 'empty' });
    expect(await readdir(join(root, 'migrations'))).toEqual(await readdir(MIGRATIONS_DIR));
  });

  it('writes the SQL for a schema change as a new timestamped folder after the existing ones', async () => {
    const root = await copyOfMigrations();
    const schema = await readFile(join(root, 'schema.prisma'), 'utf8');
    await writeFile(
      join(root, 'schema.prisma'),
      schema.replace('  name      String\n', '  name      String\n  note      String?\n'),
    );

    const result = await createMigration({
      name: 'add_note',
      migrationsDir: join(root, 'migrations'),
      schemaPath: join(root, 'schema.prisma'),
      now: new Date('2099-01-02T03:04:05Z'),
    });
    expect(result.status).toBe('created');
    if (result.status !== 'created') return;
    expect(result.folder).toBe('20990102030405_add_note');
    expect(result.script).toContain('ALTER TABLE "Map" ADD COLUMN     "note" TEXT;');
    expect(result.script).not.toContain('CREATE TABLE');

    const migrations = await readMigrations(join(root, 'migrations'));
    expect(migrations.at(-1)?.name).toBe('20990102030405_add_note');
    expect(await readFile(join(root, 'migrations', 'migration_lock.toml'), 'utf8')).toBe(LOCKFILE_CONTENT);
  });

  it('creates the first migration from an empty folder', async () => {
    const root = await copyOfMigrations();
    const result = await createMigration({
      name: 'init',
      migrationsDir: join(root, 'fresh'),
      schemaPath: join(root, 'schema.prisma'),
    });
    expect(result.status).toBe('created');
    if (result.status === 'created') expect(result.script).toContain('CREATE TABLE "Feature"');
  });

  it('refuses a name that is not a-z, 0-9 and _', async () => {
    await expect(createMigration({ name: 'Drop Tables;' })).rejects.toThrow(/must use a-z/);
  });
});
