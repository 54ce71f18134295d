import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REALTIME_PATH, stateHash } from '@meridian/protocol';
import { MeridianClient, type WebSocketConstructor } from '@meridian/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loopbackHaproxyConfig } from './support/haproxy.ts';
import { createDatabase } from './support/postgres.ts';
import { freePort, isRunning, type RunningProcess, startProcess, stopProcess } from './support/processes.ts';
import { REPO_ROOT, repoPath } from './support/repo.ts';
import { waitFor } from './support/wait.ts';

/**
 * infra/lb/haproxy.cfg run for real by Debian's HAProxy on loopback, in front of three real
 * realtime nodes (child processes started like the image starts them) sharing the machine's
 * Redis and a fresh Postgres database: clients connect through it, ops cross nodes, and a node
 * killed with SIGKILL loses no acknowledged op while its clients resume on the others.
 */

const run = promisify(execFile);
const NODE_COUNT = 3;
const CLIENT_COUNT = 6;
const OPS_BEFORE_KILL = 3;
const OPS_AROUND_KILL = 8;
/** Ops each client sends before the kill, out of OPS_AROUND_KILL. */
const KILL_AFTER_OPS = 3;
const OP_SPACING_MS = 25;
const REDIS_URL = 'redis://127.0.0.1:6379';

const runId = `${process.pid}-${randomBytes(3).toString('hex')}`;
const channelPrefix = `meridian-infra-lb-${runId}:`;
const authSecret = randomBytes(32).toString('hex');
const dataDir = mkdtempSync(path.join(tmpdir(), 'meridian-infra-lb-'));

interface Node {
  id: string;
  port: number;
  process: RunningProcess;
}

let database: { url: string; drop(): Promise<void> } | undefined;
const nodes: Node[] = [];
let haproxy: RunningProcess | undefined;
let webStub: Server | undefined;
let publicUrl = '';
let internalUrl = '';
const clients: MeridianClient[] = [];

const WEB_STUB_BODY = 'meridian web (test stand-in)';

/** The environment a node gets: what docker-compose.yml gives realtime-N, with loopback addresses. */
function nodeEnv(id: string, port: number, databaseUrl: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    NODE_ID: id,
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_CHANNEL_PREFIX: channelPrefix,
    MERIDIAN_AUTH_SECRET: authSecret,
    MERIDIAN_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  };
}

async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  return response.ok;
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`POST ${url}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function diagnostics(): string {
  const parts = [...nodes.map((n) => n.process), ...(haproxy ? [haproxy] : [])].map(
    (p) => `--- ${p.name} ---\n${p.output().split('\n').slice(-30).join('\n')}`,
  );
  return parts.join('\n');
}

beforeAll(async () => {
  database = await createDatabase('meridian_infra_lb');

  // The production bundle, as the image runs it (infra/test/bundle.integration.test.ts checks the
  // assembled image tree itself).
  await run(process.execPath, [repoPath('apps/realtime/scripts/build.mjs')], { cwd: REPO_ROOT });

  // Migrations run once, by the same command the compose `migrate` service and the Kubernetes Job run.
  const migrate = await run(process.execPath, ['dist/migrate.mjs'], {
    cwd: repoPath('apps/realtime'),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url },
  });
  expect(migrate.stdout).toMatch(/Postgres: applied|already up to date/);

  // `node dist/index.mjs`, the image's CMD: one process per node, so SIGKILL hits the server itself.
  for (let i = 1; i <= NODE_COUNT; i++) {
    const id = `lb-test-node-${i}`;
    const port = await freePort();
    const child = startProcess(id, process.execPath, ['dist/index.mjs'], {
      cwd: repoPath('apps/realtime'),
      env: nodeEnv(id, port, database.url),
    });
    nodes.push({ id, port, process: child });
  }
  for (const node of nodes) {
    await waitFor(
      `${node.id} to be ready`,
      async () => {
        if (!isRunning(node.process)) throw new Error(`${node.id} exited:\n${node.process.output()}`);
        return httpOk(`http://127.0.0.1:${node.port}/readyz`);
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
  }

  const webPort = await freePort();
  webStub = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(WEB_STUB_BODY));
  await new Promise<void>((resolve) => webStub?.listen(webPort, '127.0.0.1', resolve));

  const publicPort = await freePort();
  const internalPort = await freePort();
  const unusedDnsPort = await freePort();
  const config = loopbackHaproxyConfig([
    { from: 'bind :8080', to: `bind 127.0.0.1:${publicPort}`, times: 1 },
    { from: 'bind :4000', to: `bind 127.0.0.1:${internalPort}`, times: 1 },
    ...nodes.map((node, i) => ({ from: `realtime-${i + 1}:4000`, to: `127.0.0.1:${node.port}`, times: 1 })),
    { from: 'web:3000', to: `127.0.0.1:${webPort}`, times: 1 },
    // Docker's DNS: never queried for IP literals, pointed at a closed loopback port all the same.
    { from: '127.0.0.11:53', to: `127.0.0.1:${unusedDnsPort}`, times: 1 },
  ]);
  const configFile = path.join(dataDir, 'haproxy.cfg');
  writeFileSync(configFile, config);
  await run('haproxy', ['-c', '-f', configFile]);
  haproxy = startProcess('haproxy', 'haproxy', ['-db', '-f', configFile], {
    cwd: dataDir,
    env: { PATH: process.env.PATH },
  });
  publicUrl = `http://127.0.0.1:${publicPort}`;
  internalUrl = `http://127.0.0.1:${internalPort}`;
  await waitFor('HAProxy to answer on both frontends', async () => {
    if (haproxy && !isRunning(haproxy)) throw new Error(`haproxy exited:\n${haproxy.output()}`);
    return (await httpOk(`${internalUrl}/readyz`)) && (await httpOk(`${publicUrl}/`));
  });
}, 180_000);

afterAll(async () => {
  for (const client of clients) client.close();
  if (haproxy) await stopProcess(haproxy);
  await Promise.all(nodes.map((node) => stopProcess(node.process)));
  await new Promise<void>((resolve) => (webStub ? webStub.close(() => resolve()) : resolve()));
  await database?.drop();
  // The bus only publishes, but leave nothing behind under this run's prefix should that change.
  const keys = await run('redis-cli', ['-u', REDIS_URL, '--scan', '--pattern', `${channelPrefix}*`]);
  const names = keys.stdout.split('\n').filter(Boolean);
  if (names.length > 0) await run('redis-cli', ['-u', REDIS_URL, 'DEL', ...names]);
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('infra/lb/haproxy.cfg in front of three realtime nodes', () => {
  it('sends the WebSocket path and the internal API to the nodes, everything else to web', async () => {
    const page = await fetch(`${publicUrl}/maps/some-map`);
    expect(await page.text()).toBe(WEB_STUB_BODY);
    const wsPathWithoutUpgrade = await fetch(`${publicUrl}${REALTIME_PATH}`);
    expect(await wsPathWithoutUpgrade.text()).not.toBe(WEB_STUB_BODY);
    const ids = new Set(nodes.map((n) => n.id));
    for (let i = 0; i < NODE_COUNT * 2; i++) {
      const health = (await (await fetch(`${internalUrl}/healthz`)).json()) as { node: string };
      expect(ids.has(health.node)).toBe(true);
    }
  });

  it("the image's health probe passes against a ready node and fails where nothing listens", async () => {
    const probe = repoPath('infra/docker/healthcheck.sh');
    const env = (port: number) => ({ PATH: process.env.PATH, PORT: String(port) });
    const ok = await run('bash', [probe, '/readyz'], { env: env(nodes[0]?.port ?? 0) });
    expect(ok.stderr).toBe('');
    // A path the node answers with 404 is not healthy either.
    await expect(
      run('bash', [probe, '/no-such-path'], { env: env(nodes[0]?.port ?? 0) }),
    ).rejects.toMatchObject({
      code: 1,
    });
    const closedPort = await freePort();
    await expect(run('bash', [probe, '/readyz'], { env: env(closedPort) })).rejects.toMatchObject({
      code: 1,
    });
  });

  it('spreads clients over the nodes; a killed node loses no acknowledged op and its clients resume on the others', async () => {
    const created = await postJson<{ map: { id: string }; editKey: string }>(`${internalUrl}/api/maps`, {
      name: 'Load balancer test',
    });
    const mapId = created.map.id;
    // A fresh token through the load balancer before every (re)connect, as the web app would.
    const getToken = async () =>
      (
        await postJson<{ token: string }>(`${internalUrl}/api/maps/${mapId}/sessions`, {
          key: created.editKey,
        })
      ).token;

    const welcomes = new Map<MeridianClient, string>();
    const acked = new Map<string, string>(); // opId -> feature id
    const featureOfOp = new Map<string, string>();
    const submit = (client: MeridianClient, featureId: string) => {
      const opId = client.submit({
        kind: 'feature.create',
        feature: {
          type: 'Feature',
          id: featureId,
          geometry: { type: 'Point', coordinates: [2 + clients.indexOf(client), 48] },
          properties: { title: featureId },
          version: 0,
        },
      });
      featureOfOp.set(opId, featureId);
    };

    for (let i = 0; i < CLIENT_COUNT; i++) {
      const client = new MeridianClient({
        url: `${publicUrl.replace('http', 'ws')}${REALTIME_PATH}`,
        mapId,
        getToken,
        user: { name: `client-${i}`, color: '#3366ff' },
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        backoff: { initialMs: 50, maxMs: 500, factor: 2 },
        pingIntervalMs: 0,
      });
      client.on('frame', (frame) => {
        if (frame.direction === 'in' && frame.type === 'welcome') {
          welcomes.set(client, (JSON.parse(frame.data) as { nodeId: string }).nodeId);
        }
      });
      client.on('ack', (opId) => {
        const featureId = featureOfOp.get(opId);
        if (featureId) acked.set(opId, featureId);
      });
      clients.push(client);
      client.connect();
      await waitFor(`client ${i} to join through the load balancer`, () => client.status.kind === 'joined');
    }

    // leastconn hands each new WebSocket to the node holding the fewest: every node gets clients.
    const placement = clients.map((c) => welcomes.get(c));
    expect(new Set(placement)).toEqual(new Set(nodes.map((n) => n.id)));

    const converged = () => {
      const hashes = new Set(clients.map((c) => stateHash(c.replica.confirmed)));
      return (
        clients.every(
          (c) => c.status.kind === 'joined' && c.pendingCount === 0 && c.seq === clients[0]?.seq,
        ) && hashes.size === 1
      );
    };

    // Ops cross nodes: every client sees every other client's features, whatever node it is on.
    clients.forEach((client, i) => {
      for (let n = 0; n < OPS_BEFORE_KILL; n++) submit(client, `before-${i}-${n}`);
    });
    await waitFor('all clients to converge before the kill', converged, { timeoutMs: 30_000 }).catch(
      (error) => {
        throw new Error(`${error}\n${diagnostics()}`);
      },
    );
    for (const client of clients) expect(client.confirmedFeatures.size).toBe(CLIENT_COUNT * OPS_BEFORE_KILL);

    // Everyone keeps editing; partway through, one node holding clients is killed outright.
    const victim = nodes[1] as Node;
    const victimClients = clients.filter((c) => welcomes.get(c) === victim.id);
    expect(victimClients.length).toBeGreaterThan(0);
    let ackedAtKill: string[] = [];
    for (let n = 0; n < OPS_AROUND_KILL; n++) {
      if (n === KILL_AFTER_OPS) {
        ackedAtKill = [...acked.values()];
        victim.process.child.kill('SIGKILL');
        await victim.process.exited;
      }
      for (const [i, client] of clients.entries()) submit(client, `around-${i}-${n}`);
      await new Promise((resolve) => setTimeout(resolve, OP_SPACING_MS));
    }
    expect(victim.process.child.signalCode).toBe('SIGKILL');

    await waitFor(
      "the killed node's clients to resume elsewhere and everyone to converge",
      () => converged() && victimClients.every((c) => welcomes.get(c) !== victim.id),
      { timeoutMs: 60_000, intervalMs: 100 },
    ).catch((error) => {
      throw new Error(`${error}\n${diagnostics()}`);
    });

    const total = CLIENT_COUNT * (OPS_BEFORE_KILL + OPS_AROUND_KILL);
    const final = clients[0]?.replica.confirmed;
    expect(final?.features.size).toBe(total);
    for (const featureId of ackedAtKill) expect(final?.features.has(featureId), featureId).toBe(true);
    // Every op was acknowledged in the end (pending ops were resent on resume, once each).
    expect(acked.size).toBe(total);
    for (const featureId of acked.values()) expect(final?.features.has(featureId), featureId).toBe(true);
    const survivors = new Set(nodes.filter((n) => n !== victim).map((n) => n.id));
    for (const client of clients) expect(survivors.has(welcomes.get(client) ?? '')).toBe(true);

    // A newcomer through the load balancer gets the same state from the database.
    const newcomer = new MeridianClient({
      url: `${publicUrl.replace('http', 'ws')}${REALTIME_PATH}`,
      mapId,
      token: await getToken(),
      user: { name: 'newcomer', color: '#e4572e' },
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      pingIntervalMs: 0,
    });
    clients.push(newcomer);
    newcomer.connect();
    await waitFor('the newcomer to join', () => newcomer.status.kind === 'joined');
    expect(stateHash(newcomer.replica.confirmed)).toBe(stateHash(final ?? newcomer.replica.confirmed));
    expect(newcomer.confirmedFeatures.size).toBe(total);

    // The load balancer keeps answering the API without the dead node.
    for (let i = 0; i < NODE_COUNT * 2; i++) {
      const health = (await (await fetch(`${internalUrl}/healthz`)).json()) as { node: string };
      expect(survivors.has(health.node)).toBe(true);
    }
  }, 150_000);

  it('a draining node (SIGTERM) leaves the pool before it closes its clients with 1012, as the config says', async () => {
    const draining = nodes[2] as Node;
    const server = `realtime/realtime-${nodes.indexOf(draining) + 1}`;
    expect(isRunning(draining.process)).toBe(true);
    const created = await postJson<{ map: { id: string }; editKey: string }>(`${internalUrl}/api/maps`, {
      name: 'Drain order',
    });
    const { token } = await postJson<{ token: string }>(
      `${internalUrl}/api/maps/${created.map.id}/sessions`,
      { key: created.editKey },
    );
    // Straight on the node: it sees the moment the node closes its clients.
    const socket = new WebSocket(`ws://127.0.0.1:${draining.port}${REALTIME_PATH}?token=${token}`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const downAtClose = new Promise<{ code: number; down: boolean }>((resolve) => {
      socket.once('close', (code) =>
        resolve({ code, down: haproxy?.output().includes(`${server} is DOWN`) ?? false }),
      );
    });
    expect(haproxy?.output()).not.toContain(`${server} is DOWN`);

    draining.process.child.kill('SIGTERM');
    const closed = await downAtClose;
    expect(closed.code).toBe(1012);
    expect(
      closed.down,
      `HAProxy had not taken ${server} out when it closed its clients:\n${diagnostics()}`,
    ).toBe(true);
    expect((await draining.process.exited).code).toBe(0);
    // The pool answers on without it.
    const health = (await (await fetch(`${internalUrl}/healthz`)).json()) as { node: string };
    expect(health.node).not.toBe(draining.id);
  }, 60_000);
});
