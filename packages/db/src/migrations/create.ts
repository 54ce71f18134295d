import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { DiffTarget } from '@prisma/schema-engine-wasm';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import {
  LOCKFILE_CONTENT,
  LOCKFILE_NAME,
  MIGRATION_FILE,
  MIGRATIONS_DIR,
  type MigrationFolder,
  migrationTimestamp,
  readMigrations,
} from './folder.ts';
import { NO_EXTERNAL_ENTITIES, openSchemaEngine } from './schema-engine.ts';

export const SCHEMA_PATH = fileURLToPath(new URL('../../prisma/schema.prisma', import.meta.url));

export interface CreateMigrationOptions {
  name: string;
  migrationsDir?: string;
  schemaPath?: string;
  now?: Date;
}

export type CreateMigrationResult =
  | { status: 'created'; folder: string; script: string }
  | { status: 'empty' };

const MIGRATION_NAME = /^[a-z0-9_]{1,200}$/;

function migrationsTarget(dir: string, migrations: MigrationFolder[]): DiffTarget {
  if (migrations.length === 0) return { tag: 'empty' };
  return {
    tag: 'migrations',
    baseDir: dir,
    lockfile: { path: LOCKFILE_NAME, content: LOCKFILE_CONTENT },
    shadowDbInitScript: '',
    migrationDirectories: migrations.map((migration) => ({
      path: migration.name,
      migrationFile: { path: MIGRATION_FILE, content: { tag: 'ok', value: migration.script } },
    })),
  };
}

/**
 * Writes the SQL that takes the database from the state the migrations folder builds to the state
 * schema.prisma describes, as a new `<timestamp>_<name>` folder. The engine replays the folder in an
 * in-memory PGlite (its shadow database), so this runs offline and touches no real database.
 */
export async function createMigration(options: CreateMigrationOptions): Promise<CreateMigrationResult> {
  if (!MIGRATION_NAME.test(options.name)) {
    throw new Error(`migration name "${options.name}" must use a-z, 0-9 and _ only`);
  }
  const dir = options.migrationsDir ?? MIGRATIONS_DIR;
  const schemaPath = options.schemaPath ?? SCHEMA_PATH;
  const schema = { path: schemaPath, content: await readFile(schemaPath, 'utf8') };
  const migrations = await readMigrations(dir);

  const shadow = new PGlite();
  const engine = await openSchemaEngine(schema, new PrismaPGlite(shadow));
  try {
    const diff = await engine.diff({
      from: migrationsTarget(dir, migrations),
      to: { tag: 'schemaDatamodel', files: [schema] },
      script: true,
      exitCode: true,
      filters: NO_EXTERNAL_ENTITIES,
    });
    // With exitCode set, the engine answers 2 when there is something to migrate and 0 when not.
    if (diff.exitCode !== 2 || !diff.stdout) return { status: 'empty' };

    const folder = `${migrationTimestamp(options.now ?? new Date())}_${options.name}`;
    await mkdir(join(dir, folder), { recursive: true });
    await writeFile(join(dir, folder, MIGRATION_FILE), diff.stdout);
    await writeFile(join(dir, LOCKFILE_NAME), LOCKFILE_CONTENT);
    return { status: 'created', folder, script: diff.stdout };
  } finally {
    engine.free();
    await shadow.close();
  }
}
