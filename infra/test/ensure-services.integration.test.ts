import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './support/processes.ts';
import { repoPath } from './support/repo.ts';

/**
 * scripts/ensure-services.sh, what `npm test` runs first: servers already answering are used as
 * they are; where nothing answers, throw-away ones are started and, at the end, stopped.
 * "Nothing answers" is made by pointing the URLs at free ports (the machine's shared servers keep
 * running: other suites use them).
 */
const run = promisify(execFile);
const SCRIPT = repoPath('scripts/ensure-services.sh');
const SHARED_DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const SHARED_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

const states: string[] = [];
afterEach(async () => {
  for (const state of states.splice(0)) {
    await run('bash', [SCRIPT, 'stop', state]).catch(() => {});
    rmSync(state, { recursive: true, force: true });
  }
});

function newState(): string {
  const state = mkdtempSync(path.join(tmpdir(), 'meridian-services-test-'));
  states.push(state);
  return state;
}

async function start(state: string, env: Record<string, string>) {
  const { stdout, stderr } = await run('bash', [SCRIPT, 'start', state], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  const exported = Object.fromEntries(
    [...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]] as [string, string]),
  );
  return { exported, stderr };
}

/** Sends PING in RESP and resolves with the reply line, or rejects when nothing listens. */
function redisPing(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    socket.setTimeout(3_000, () => socket.destroy(new Error('timeout')));
    socket.once('error', reject);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      resolve(data.toString().trim());
      socket.end();
    });
  });
}

async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return (
      (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? ''
    );
  } finally {
    await client.end();
  }
}

describe('scripts/ensure-services.sh', () => {
  it('keeps the URLs of servers that answer, and starts nothing', async () => {
    const state = newState();
    const { exported, stderr } = await start(state, {
      DATABASE_URL: SHARED_DATABASE_URL,
      REDIS_URL: SHARED_REDIS_URL,
    });
    expect(exported).toEqual({ DATABASE_URL: SHARED_DATABASE_URL, REDIS_URL: SHARED_REDIS_URL });
    expect(stderr).toBe('');
    expect(readdirSync(state)).toEqual([]);
    // `stop` leaves servers it did not start alone.
    await run('bash', [SCRIPT, 'stop', state]);
    expect(await redisPing(SHARED_REDIS_URL)).toBe('+PONG');
    expect(await postgresVersion(SHARED_DATABASE_URL)).toMatch(/^\d+/);
  });

  it('starts throw-away Postgres and Redis where nothing answers, and stops them afterwards', async () => {
    const state = newState();
    const deadDatabase = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
    const deadRedis = `redis://127.0.0.1:${await freePort()}`;
    await expect(redisPing(deadRedis)).rejects.toThrow();

    const { exported, stderr } = await start(state, { DATABASE_URL: deadDatabase, REDIS_URL: deadRedis });
    expect(stderr).toContain('started a throw-away one');
    const databaseUrl = exported.DATABASE_URL ?? '';
    const redisUrl = exported.REDIS_URL ?? '';
    expect(databaseUrl).not.toBe(deadDatabase);
    expect(redisUrl).not.toBe(deadRedis);
    expect(new URL(databaseUrl).hostname).toBe('127.0.0.1');
    expect(new URL(redisUrl).hostname).toBe('127.0.0.1');

    // Real servers: Postgres takes a database like the tests create, Redis answers PING.
    expect(await postgresVersion(databaseUrl)).toMatch(/^\d+/);
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE scratch_check');
    await admin.end();
    expect(await redisPing(redisUrl)).toBe('+PONG');

    await run('bash', [SCRIPT, 'stop', state]);
    await expect(redisPing(redisUrl)).rejects.toThrow();
    await expect(postgresVersion(databaseUrl)).rejects.toThrow();
    // The machine's own servers are untouched.
    expect(await redisPing(SHARED_REDIS_URL)).toBe('+PONG');
    expect(await postgresVersion(SHARED_DATABASE_URL)).toMatch(/^\d+/);
  });

  it('starts only what is missing', async () => {
    const state = newState();
    const deadRedis = `redis://127.0.0.1:${await freePort()}`;
    const { exported } = await start(state, { DATABASE_URL: SHARED_DATABASE_URL, REDIS_URL: deadRedis });
    expect(exported.DATABASE_URL).toBe(SHARED_DATABASE_URL);
    expect(exported.REDIS_URL).not.toBe(deadRedis);
    expect(await redisPing(exported.REDIS_URL ?? '')).toBe('+PONG');
    expect(readdirSync(state)).toEqual(['redis']);
  });
});
