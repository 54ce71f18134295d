import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrationChecksum, migrationTimestamp, readMigrations } from './folder.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('migration folders', () => {
  it('checksums a script as sha256 hex of its bytes, like Prisma', () => {
    expect(migrationChecksum('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(migrationChecksum('SELECT 1;\n')).not.toBe(migrationChecksum('SELECT 1;\r\n'));
  });

  it('names folders with a 14-digit UTC timestamp', () => {
    expect(migrationTimestamp(new Date('2025-01-02T03:04:05.678Z'))).toBe('20250102030405');
  });

  it('reads folders oldest first and skips anything without a migration.sql', async () => {
    dir = await mkdtemp(join(tmpdir(), 'meridian-migrations-'));
    for (const name of ['20250201000000_b', '20250101000000_a', '20250301000000_empty']) {
      await mkdir(join(dir, name));
    }
    await writeFile(join(dir, '20250201000000_b', 'migration.sql'), 'SELECT 2;');
    await writeFile(join(dir, '20250101000000_a', 'migration.sql'), 'SELECT 1;');
    await writeFile(join(dir, 'migration_lock.toml'), 'provider = "postgresql"');

    const migrations = await readMigrations(dir);
    expect(migrations.map((m) => m.name)).toEqual(['20250101000000_a', '20250201000000_b']);
    expect(migrations[0]).toEqual({
      name: '20250101000000_a',
      script: 'SELECT 1;',
      checksum: migrationChecksum('SELECT 1;'),
    });
  });

  it('reads a missing folder as no migrations', async () => {
    expect(await readMigrations(join(tmpdir(), 'meridian-no-such-folder'))).toEqual([]);
  });

  it('ships at least the init migration', async () => {
    const migrations = await readMigrations(MIGRATIONS_DIR);
    expect(migrations[0]?.name).toMatch(/^\d{14}_init$/);
    expect(migrations[0]?.script).toContain('CREATE TABLE "Op"');
  });
});
