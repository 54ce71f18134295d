import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REALTIME_PATH } from '@meridian/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../apps/realtime/src/env.ts';
import { parseWebEnv } from '../../apps/web/src/env.ts';
import { type AppName, appServesRoute, envNamesReadBy } from './support/app-env.ts';
import {
  type ComposeService,
  dockerCompose,
  durationSeconds,
  environmentOf,
  resolvedCompose,
} from './support/compose.ts';
import { lastInstruction, readDockerfile } from './support/dockerfile.ts';
import {
  backendsOf,
  bindPorts,
  healthCheckPath,
  parseHaproxyConfig,
  section,
  servers,
} from './support/haproxy-config.ts';
import { readPackageJson, readRepoFile, repoPath } from './support/repo.ts';

const compose = resolvedCompose();
const services = Object.entries(compose.services);
const haproxy = parseHaproxyConfig(readRepoFile('infra/lb/haproxy.cfg'));

/** Which of our programs a service runs: by the Dockerfile it builds, and a command override for migrate. */
function appOf(service: ComposeService): AppName | undefined {
  const dockerfile = service.build?.dockerfile;
  if (dockerfile === 'infra/docker/web.Dockerfile') return 'web';
  if (dockerfile === 'infra/docker/realtime.Dockerfile') return service.command ? 'migrate' : 'realtime';
  return undefined;
}

const realtimeNodes = services.filter(([, s]) => appOf(s) === 'realtime');
const [webName, web] = services.find(([, s]) => appOf(s) === 'web') ?? [];
const [migrateName, migrate] = services.find(([, s]) => appOf(s) === 'migrate') ?? [];
const [lbName, lb] =
  services.find(([, s]) => s.volumes.some((v) => v.source.endsWith('infra/lb/haproxy.cfg'))) ?? [];

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`docker-compose.yml has no ${what}`);
  return value;
}

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('docker-compose.yml, validated by Debian docker-compose 1.29 without an engine', () => {
  it('passes `docker-compose config -q`', () => {
    const result = dockerCompose(['config', '-q']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('and that validation does reject a broken file (the check can fail)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'meridian-compose-'));
    scratch.push(dir);
    const broken = readFileSync(repoPath('docker-compose.yml'), 'utf8').replace(
      'condition: service_completed_successfully',
      'condition: service_finished',
    );
    writeFileSync(path.join(dir, 'docker-compose.yml'), broken);
    const result = dockerCompose(['config', '-q'], path.join(dir, 'docker-compose.yml'));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/service_finished/);
  });

  it('runs Redis, Postgres with a volume, a one-shot migrate, three realtime nodes, web and the load balancer', () => {
    expect(realtimeNodes.length).toBeGreaterThanOrEqual(3);
    expect(webName).toBeDefined();
    expect(migrateName).toBeDefined();
    expect(lbName).toBeDefined();
    expect(compose.services.postgres?.volumes.some((v) => v.target === '/var/lib/postgresql/data')).toBe(
      true,
    );
    expect(compose.services.redis).toBeDefined();
    expect(required(migrate, 'migrate').restart).toBe('no');
  });
});

describe('every service matches what its program reads', () => {
  it.each(services.filter(([, s]) => appOf(s)))('%s sets only variables its program reads', (_, service) => {
    const app = required(appOf(service), 'app');
    const read = envNamesReadBy(app);
    const unknown = Object.keys(environmentOf(service)).filter((name) => !read.has(name));
    expect(unknown).toEqual([]);
  });

  it.each(realtimeNodes)("%s's environment passes the realtime service's own config parser", (_, node) => {
    const config = loadConfig(environmentOf(node));
    expect(config.databaseUrl).toMatch(/^postgres:/);
    expect(config.redisUrl).toMatch(/^redis:/);
  });

  it("web's environment passes the web app's own config parser", () => {
    expect(() => parseWebEnv(environmentOf(required(web, 'web')))).not.toThrow();
  });

  it('realtime nodes share the database, the bus, the channel prefix and the token secret, each with its own NODE_ID', () => {
    const envs = realtimeNodes.map(([, s]) => environmentOf(s));
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'REDIS_CHANNEL_PREFIX', 'MERIDIAN_AUTH_SECRET']) {
      expect(new Set(envs.map((e) => e[name])).size, name).toBe(1);
    }
    expect(envs[0]?.MERIDIAN_AUTH_SECRET).toBeDefined();
    const ids = envs.map((e) => e.NODE_ID);
    expect(ids.every(Boolean)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('DATABASE_URL and REDIS_URL point at the compose services, with the credentials Postgres is given', () => {
    const postgresEnv = environmentOf(required(compose.services.postgres, 'postgres'));
    for (const env of [
      ...realtimeNodes.map(([, s]) => environmentOf(s)),
      environmentOf(required(migrate, 'migrate')),
    ]) {
      const db = new URL(env.DATABASE_URL ?? '');
      expect(compose.services[db.hostname]).toBeDefined();
      expect(db.username).toBe(postgresEnv.POSTGRES_USER);
      expect(db.password).toBe(postgresEnv.POSTGRES_PASSWORD);
      expect(db.pathname).toBe(`/${postgresEnv.POSTGRES_DB}`);
    }
    for (const [, node] of realtimeNodes) {
      expect(compose.services[new URL(environmentOf(node).REDIS_URL ?? '').hostname]).toBeDefined();
    }
  });

  it("migrate runs the db package's migrate command, bundled beside the service in the realtime image", () => {
    const service = required(migrate, 'migrate');
    expect(service.command).toEqual(['node', 'dist/migrate.mjs']);
    expect(service.working_dir).toBeUndefined();
    // The realtime build bundles packages/db's migrate CLI (what `npm run db:migrate` runs) as dist/migrate.mjs.
    const build = readRepoFile('apps/realtime/scripts/build.mjs');
    const migrateScript = readPackageJson('packages/db').scripts?.migrate ?? '';
    expect(migrateScript).toBe('tsx src/cli/migrate.ts');
    expect(build).toContain("{ name: 'migrate', source: 'packages/db/src/cli/migrate.ts' }");
  });
});

describe('start order', () => {
  const hasHealthcheck = (name: string): boolean => {
    const service = compose.services[name];
    if (!service) return false;
    if (service.healthcheck) return true;
    const dockerfile = service.build?.dockerfile;
    const image = dockerfile?.includes('web') ? 'web' : 'realtime';
    return (
      dockerfile !== undefined &&
      lastInstruction(
        readDockerfile(image).at(-1) ?? { from: '', name: '', instructions: [] },
        'HEALTHCHECK',
      ) !== undefined
    );
  };

  it('waits for healthy dependencies, and only on services that have a health check', () => {
    for (const [name, service] of services) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on)) {
        if (condition === 'service_healthy')
          expect(hasHealthcheck(dependency), `${name} -> ${dependency}`).toBe(true);
      }
    }
  });

  it('applies migrations once, after Postgres is healthy, before any realtime node starts', () => {
    expect(required(migrate, 'migrate').depends_on.postgres?.condition).toBe('service_healthy');
    for (const [, node] of realtimeNodes) {
      expect(node.depends_on[required(migrateName, 'migrate')]?.condition).toBe(
        'service_completed_successfully',
      );
      expect(node.depends_on.postgres?.condition).toBe('service_healthy');
      expect(node.depends_on.redis?.condition).toBe('service_healthy');
    }
  });

  it('starts the load balancer after every realtime node and web are healthy', () => {
    const deps = required(lb, 'lb').depends_on;
    for (const name of [...realtimeNodes.map(([n]) => n), required(webName, 'web')]) {
      expect(deps[name]?.condition, name).toBe('service_healthy');
    }
  });

  it('gives each node longer than its drain to stop before SIGKILL', () => {
    for (const [name, node] of realtimeNodes) {
      const drainS = loadConfig(environmentOf(node)).drainTimeoutMs / 1000;
      expect(durationSeconds(node.stop_grace_period ?? '10s'), name).toBeGreaterThan(drainS);
    }
  });
});

describe('infra/lb/haproxy.cfg wired to the compose services', () => {
  const publicFrontend = section(haproxy, 'frontend', 'public');
  const internalFrontend = section(haproxy, 'frontend', 'realtime_internal');
  const realtimeBackend = section(haproxy, 'backend', 'realtime');
  const webBackend = section(haproxy, 'backend', 'web');

  it('is mounted where the HAProxy image reads it', () => {
    const mount = required(lb, 'lb').volumes.find((v) => v.source.endsWith('infra/lb/haproxy.cfg'));
    expect(mount?.target).toBe('/usr/local/etc/haproxy/haproxy.cfg');
  });

  it('publishes the public frontend, and only that, on the host', () => {
    const ports = required(lb, 'lb').ports;
    expect(ports.map((p) => p.target)).toEqual(bindPorts(publicFrontend));
    const published = services.flatMap(([name, s]) => s.ports.map(() => name));
    expect(published).toEqual([lbName]);
  });

  it('balances over exactly the realtime nodes, on the port each listens on, checking /readyz', () => {
    const listed = servers(realtimeBackend);
    expect(listed.map((s) => s.host).sort()).toEqual(realtimeNodes.map(([name]) => name).sort());
    for (const server of listed) {
      const node = required(compose.services[server.host], server.host);
      expect(server.port, server.host).toBe(loadConfig(environmentOf(node)).port);
    }
    const checkPath = healthCheckPath(realtimeBackend) ?? '';
    expect(checkPath).toBe('/readyz');
    expect(appServesRoute('realtime', checkPath)).toBe(true);
  });

  it('sends the WebSocket path to the realtime nodes and everything else to web', () => {
    expect(publicFrontend.lines).toContain(`acl realtime_path path ${REALTIME_PATH}`);
    expect(publicFrontend.lines).toContain('use_backend realtime if realtime_path');
    // WebSub hubs' callbacks must reach the nodes too.
    expect(publicFrontend.lines).toContain('acl realtime_path path_beg /websub/');
    expect(publicFrontend.lines).toContain('default_backend web');
    expect(backendsOf(internalFrontend)).toEqual(['realtime']);
    const [webServer] = servers(webBackend);
    expect(webServer?.host).toBe(webName);
    expect(String(webServer?.port)).toBe(environmentOf(required(web, 'web')).PORT);
  });

  it("points web at the internal frontend, and browsers and the nodes' Origin check at the public port", () => {
    const env = parseWebEnv(environmentOf(required(web, 'web')));
    const internal = new URL(env.REALTIME_INTERNAL_URL);
    expect(internal.hostname).toBe(lbName);
    expect(Number(internal.port)).toBe(bindPorts(internalFrontend)[0]);
    const publicPort = required(lb, 'lb').ports[0]?.published;
    const browserUrl = new URL(env.MERIDIAN_PUBLIC_REALTIME_URL ?? '');
    expect(Number(browserUrl.port)).toBe(publicPort);
    // A base URL: the web app appends REALTIME_PATH itself.
    expect(browserUrl.pathname).toBe('/');
    for (const [, node] of realtimeNodes) {
      const origins = loadConfig(environmentOf(node)).allowedOrigins;
      expect(origins).toContain(`http://${browserUrl.hostname}:${publicPort}`);
    }
  });
});
