import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, run, type Started, startProcess, waitForHttp } from './processes.ts';

export interface Cluster {
  /** Web servers; web[i] talks to realtime[i]. */
  web: string[];
  realtime: string[];
  stop(): Promise<void>;
}

const POSTGRES_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const READY_TIMEOUT_MS = 90_000;

function databaseUrl(name: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function psql(sql: string, logFile: string): Promise<void> {
  const admin = new URL(POSTGRES_URL);
  admin.pathname = '/postgres';
  await run('psql', [admin.toString(), '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { cwd: tmpdir(), logFile });
}

/**
 * Two realtime nodes sharing one fresh Postgres database and the local Redis (under a channel
 * prefix of their own), each with a production Next server in front: the same map, reached
 * through two different URLs, as behind a load balancer.
 */
export async function startCluster(options: {
  repoRoot: string;
  webDir: string;
  logDir: string;
  /** Resolves when the production build is ready; web servers start after it. */
  buildReady: Promise<unknown>;
  /** How many realtime nodes (each with its web server); two unless a tool needs fewer. */
  nodes?: number;
  /** Extra settings for the realtime nodes (a benchmark lifts the per-connection rate limit). */
  realtimeEnv?: Record<string, string>;
}): Promise<Cluster> {
  const runId = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const dbName = `meridian_web_e2e_${runId}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'meridian-web-e2e-'));
  const started: Started[] = [];
  const log = (name: string) => path.join(options.logDir, `${name}.log`);
  let dbCreated = false;

  const stop = async () => {
    await Promise.allSettled(started.reverse().map((p) => p.stop()));
    if (dbCreated)
      await psql(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`, log('postgres')).catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await psql(`CREATE DATABASE "${dbName}"`, log('postgres'));
    dbCreated = true;
    const secret = randomBytes(32).toString('hex');
    const realtime: string[] = [];
    for (let index = 0; index < (options.nodes ?? 2); index++) {
      const port = await freePort();
      const node = startProcess(
        `realtime-${index}`,
        process.execPath,
        ['--import', 'tsx', 'apps/realtime/src/index.ts'],
        {
          cwd: options.repoRoot,
          logFile: log(`realtime-${index}`),
          env: {
            PORT: String(port),
            HOST: '127.0.0.1',
            NODE_ID: `e2e-node-${index}`,
            DATABASE_URL: databaseUrl(dbName),
            REDIS_URL,
            REDIS_CHANNEL_PREFIX: `meridian-web-e2e-${runId}:`,
            MERIDIAN_DATA_DIR: path.join(dataDir, `node-${index}`),
            MERIDIAN_AUTH_SECRET: secret,
            LOG_LEVEL: 'warn',
            // Live feeds: WebSub hubs (test fixtures on loopback) call this node back here, and
            // feeds and hubs on loopback pass the fetch guard, which refuses them by default.
            MERIDIAN_PUBLIC_URL: `http://127.0.0.1:${port}`,
            FEED_FETCH_ALLOW: '127.0.0.1/32',
            ...options.realtimeEnv,
          },
        },
      );
      started.push(node);
      realtime.push(`http://127.0.0.1:${port}`);
      // One at a time: both nodes migrate the fresh database on start.
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, READY_TIMEOUT_MS, node.name);
    }

    await options.buildReady;
    const web: string[] = [];
    for (const [index, realtimeUrl] of realtime.entries()) {
      const server = await startWebServer({ ...options, name: `web-${index}`, realtimeUrl });
      started.push(server);
      web.push(server.url);
    }
    await Promise.all(web.map((url, index) => waitForHttp(`${url}/`, READY_TIMEOUT_MS, `web-${index}`)));
    return { web, realtime, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * One production Next server in front of a realtime node. The cluster's servers show the embedded
 * basemap (no internet in tests); a test that needs other settings (a fixture style, a geocoder)
 * starts one of its own with `env`.
 */
export async function startWebServer(options: {
  repoRoot: string;
  webDir: string;
  logDir: string;
  name: string;
  realtimeUrl: string;
  env?: Record<string, string>;
}): Promise<Started & { url: string }> {
  const port = await freePort();
  const server = startProcess(
    options.name,
    process.execPath,
    [
      path.join(options.repoRoot, 'node_modules', 'next', 'dist', 'bin', 'next'),
      'start',
      '-p',
      String(port),
      '-H',
      '127.0.0.1',
    ],
    {
      cwd: options.webDir,
      logFile: path.join(options.logDir, `${options.name}.log`),
      env: {
        NEXT_TELEMETRY_DISABLED: '1',
        REALTIME_INTERNAL_URL: options.realtimeUrl,
        MERIDIAN_PUBLIC_REALTIME_URL: options.realtimeUrl.replace(/^http/, 'ws'),
        MAP_STYLE_URL: 'offline',
        ...options.env,
      },
    },
  );
  return { ...server, url: `http://127.0.0.1:${port}` };
}
