import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from './support/postgres.ts';
import { freePort, type RunningProcess, startProcess, stopProcess } from './support/processes.ts';
import { repoPath } from './support/repo.ts';
import { waitFor } from './support/wait.ts';

/**
 * The realtime image's /app, assembled outside the repository by the same command the Dockerfile
 * runs, then started with plain node: proof that the bundle needs no TypeScript loader, no dev
 * dependency and nothing of node_modules beyond what the assembly copied.
 */
const runtimeDir = mkdtempSync(path.join(tmpdir(), 'meridian-runtime-'));
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const SECRET = 'bundle-test-secret-0123456789abcdef0123';

let database: Awaited<ReturnType<typeof createDatabase>>;

async function appliedMigrations(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name',
    );
    return rows.map((row) => row.migration_name);
  } finally {
    await client.end();
  }
}

const migrationFolders = readdirSync(repoPath('packages/db/prisma/migrations'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

beforeAll(async () => {
  execFileSync('node', [repoPath('apps/realtime/scripts/build.mjs'), '--runtime-dir', runtimeDir], {
    stdio: 'pipe',
  });
  database = await createDatabase('meridian_bundle');
}, 120_000);

afterAll(async () => {
  await database?.drop();
  rmSync(runtimeDir, { recursive: true, force: true });
});

describe('the realtime bundle, assembled as the image ships it', () => {
  it('carries only the external packages, with one uWebSockets.js binary', () => {
    const modules = readdirSync(path.join(runtimeDir, 'node_modules')).sort();
    expect(modules).toEqual(['@electric-sql', 'uWebSockets.js']);
    const binaries = readdirSync(path.join(runtimeDir, 'node_modules/uWebSockets.js')).filter((f) =>
      f.endsWith('.node'),
    );
    expect(binaries).toEqual([`uws_${process.platform}_${process.arch}_${process.versions.modules}.node`]);
    const dist = readdirSync(path.join(runtimeDir, 'apps/realtime/dist'));
    expect(dist).toContain('index.mjs');
    expect(dist).toContain('migrate.mjs');
  });

  it("dist/migrate.mjs applies the repository's migrations to an empty database", async () => {
    const env = { PATH: process.env.PATH, DATABASE_URL: database.url };
    const output = execFileSync('node', ['dist/migrate.mjs'], {
      cwd: path.join(runtimeDir, 'apps/realtime'),
      env,
      encoding: 'utf8',
    });
    expect(output).toContain(`applied ${migrationFolders[0]}`);
    expect(await appliedMigrations(database.url)).toEqual(migrationFolders);
    // Run again: nothing left to apply.
    const again = execFileSync('node', ['dist/migrate.mjs'], {
      cwd: path.join(runtimeDir, 'apps/realtime'),
      env,
      encoding: 'utf8',
    });
    expect(again).toContain('already up to date');
  });

  it('node dist/index.mjs becomes ready on Postgres and Redis, and drains on SIGTERM', async () => {
    const port = await freePort();
    let node: RunningProcess | undefined;
    try {
      node = startProcess('bundle', 'node', ['dist/index.mjs'], {
        cwd: path.join(runtimeDir, 'apps/realtime'),
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          HOST: '127.0.0.1',
          PORT: String(port),
          DATABASE_URL: database.url,
          REDIS_URL,
          REDIS_CHANNEL_PREFIX: `meridian-bundle-${process.pid}:`,
          MERIDIAN_AUTH_SECRET: SECRET,
          MERIDIAN_DATA_DIR: path.join(runtimeDir, 'data'),
        },
      });
      await waitFor(
        'the bundled node to answer /readyz 200',
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      const created = await fetch(`http://127.0.0.1:${port}/api/maps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'From the bundle' }),
      });
      expect(created.status).toBe(201);
      node.child.kill('SIGTERM');
      expect(await node.exited).toEqual({ code: 0, signal: null });
      expect(node.output()).toContain('"msg":"bye"');
    } finally {
      if (node) await stopProcess(node, 'SIGKILL');
    }
  });
});
