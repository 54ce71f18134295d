/**
 * Capacity of the compose stack, measured through HAProxy on :8080 (the stack must be up:
 * `docker compose up -d`, or the variables of infra/README.md with the local base images).
 *
 *   npm run capacity -w @meridian/infra
 *
 * 1. Idle: CAPACITY_IDLE (5000) clients connect through the load balancer (hello, join one of 50
 *    maps) and stay idle; reported: how many held, and the RSS each realtime node and HAProxy added
 *    per connection (VmRSS of the container processes, read before and after).
 * 2. Fan-out: CAPACITY_FANOUT (1000) clients on one map, spread over the nodes by HAProxy, and one
 *    editor moving a feature CAPACITY_OPS (300) times every CAPACITY_OP_INTERVAL_MS (50): the time
 *    from the editor's send to each delivery (commit, bus, both HAProxy hops and the socket writes).
 * The load generator shares the 2-core machine with the stack, which inflates the tail.
 * It connects to the `lb` container's address on the Docker network (CAPACITY_URL overrides it):
 * the host's own `localhost:8080` goes through Docker's userland docker-proxy, which gave out at
 * ~3,000 connections here (infra/README.md, "Capacity").
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { PROTOCOL_VERSION, REALTIME_PATH } from '@meridian/protocol';
import WebSocket from 'ws';

const DOCKER = '/usr/bin/docker';
const PROJECT = process.env.COMPOSE_PROJECT_NAME ?? 'meridian-e2e';
const ORIGIN = 'http://localhost:8080';
const IDLE = Number(process.env.CAPACITY_IDLE ?? 5000);
const FANOUT = Number(process.env.CAPACITY_FANOUT ?? 1000);
const OPS = Number(process.env.CAPACITY_OPS ?? 300);
const OP_INTERVAL_MS = Number(process.env.CAPACITY_OP_INTERVAL_MS ?? 50);
const IDLE_MAPS = 50;
const CONNECT_BATCH = 50;
const FEATURE_ID = 'capacity-feature';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function containerOf(service: string): string {
  return execFileSync(
    DOCKER,
    [
      'ps',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${PROJECT}`,
      '--filter',
      `label=com.docker.compose.service=${service}`,
    ],
    { encoding: 'utf8' },
  ).trim();
}

/** Resident memory of every process in a container, in KiB (the container's own view of /proc). */
function rssKiB(service: string): number {
  const out = execFileSync(
    DOCKER,
    ['exec', containerOf(service), 'sh', '-c', "cat /proc/[0-9]*/status 2>/dev/null | grep '^VmRSS'"],
    { encoding: 'utf8' },
  );
  return [...out.matchAll(/VmRSS:\s+(\d+) kB/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** The load balancer's address on the compose network (reachable from the Docker host). */
function lbAddress(): string {
  return execFileSync(
    DOCKER,
    ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', containerOf('lb')],
    { encoding: 'utf8' },
  ).trim();
}

const LB = lbAddress();
const PUBLIC = process.env.CAPACITY_URL ?? `http://${LB}:8080`;

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface MapTarget {
  mapId: string;
  token: string;
}

async function newMap(api: string, name: string): Promise<MapTarget> {
  const created = await postJson<{ map: { id: string }; editKey: string }>(`${api}/api/maps`, { name });
  const { token } = await postJson<{ token: string }>(`${api}/api/maps/${created.map.id}/sessions`, {
    key: created.editKey,
  });
  return { mapId: created.map.id, token };
}

/** hello → welcome → join → snapshot; then `onText` sees every frame. */
function join(
  target: MapTarget,
  clientId: string,
  onText: (text: string) => void = () => {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const url = `${PUBLIC.replace(/^http/, 'ws')}${REALTIME_PATH}?token=${encodeURIComponent(target.token)}`;
    const ws = new WebSocket(url, { origin: ORIGIN, perMessageDeflate: false });
    const timer = setTimeout(() => reject(new Error(`${clientId}: no snapshot in 30 s`)), 30_000);
    let joined = false;
    ws.on('open', () =>
      ws.send(
        JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, clientId, name: clientId, color: '#336699' }),
      ),
    );
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (joined) return onText(text);
      if (text.startsWith('{"type":"welcome"'))
        ws.send(JSON.stringify({ type: 'join', mapId: target.mapId }));
      else if (text.startsWith('{"type":"snapshot"')) {
        joined = true;
        clearTimeout(timer);
        resolve(ws);
      } else if (text.startsWith('{"type":"error"')) reject(new Error(`${clientId}: ${text.slice(0, 200)}`));
    });
    ws.on('error', (error) => {
      clearTimeout(timer);
      if (!joined) reject(error);
    });
  });
}

/** Connects in batches; a client that fails is counted and reported, not fatal. */
async function connectAll(count: number, open: (i: number) => Promise<WebSocket>): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  const failures = new Map<string, number>();
  for (let start = 0; start < count; start += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, count - start) }, (_, j) =>
      open(start + j).catch((error: unknown) => {
        const reason = error instanceof Error ? error.message.replace(/\d+/g, 'N') : String(error);
        failures.set(reason, (failures.get(reason) ?? 0) + 1);
        return null;
      }),
    );
    for (const ws of await Promise.all(batch)) if (ws) sockets.push(ws);
    if ((start + CONNECT_BATCH) % 1000 === 0)
      console.log(`  ${sockets.length} of ${start + CONNECT_BATCH} connected`);
  }
  for (const [reason, n] of failures) console.log(`  ${n} failed: ${reason}`);
  return sockets;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const NODES = ['realtime-1', 'realtime-2', 'realtime-3'];

async function idle(api: string): Promise<void> {
  const maps = await Promise.all(Array.from({ length: IDLE_MAPS }, (_, i) => newMap(api, `Idle ${i}`)));
  const before = Object.fromEntries([...NODES, 'lb'].map((s) => [s, rssKiB(s)]));
  const started = performance.now();
  const sockets = await connectAll(IDLE, (i) => join(maps[i % IDLE_MAPS] as MapTarget, `idle-${i}`));
  const connectS = (performance.now() - started) / 1000;
  await sleep(5_000);
  const held = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  const after = Object.fromEntries([...NODES, 'lb'].map((s) => [s, rssKiB(s)]));
  console.log(`idle: ${held} of ${IDLE} held through HAProxy (connected in ${connectS.toFixed(1)} s)`);
  const nodeAdded = NODES.reduce((sum, s) => sum + ((after[s] ?? 0) - (before[s] ?? 0)), 0);
  for (const s of [...NODES, 'lb'])
    console.log(
      `  ${s.padEnd(11)} RSS ${((before[s] ?? 0) / 1024).toFixed(1)} -> ${((after[s] ?? 0) / 1024).toFixed(1)} MiB`,
    );
  console.log(`  realtime nodes: ${(nodeAdded / held).toFixed(2)} KiB RSS per added connection (before GC)`);
  console.log(
    `  HAProxy:        ${(((after.lb ?? 0) - (before.lb ?? 0)) / held).toFixed(2)} KiB RSS per added connection`,
  );
  for (const ws of sockets) ws.terminate();
}

async function fanout(api: string): Promise<void> {
  const target = await newMap(api, 'Fan-out');
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const STAMP = '"opId":"cap-';
  const record = (text: string) => {
    const at = text.indexOf(STAMP);
    if (at < 0 || !text.startsWith('{"type":"op"')) return;
    const k = Number.parseInt(text.slice(at + STAMP.length, text.indexOf('"', at + STAMP.length)), 10);
    const sent = sentAt.get(k);
    if (sent !== undefined) latencies.push(performance.now() - sent);
  };
  const editor = await join(target, 'cap-editor');
  editor.send(
    JSON.stringify({
      type: 'op',
      mapId: target.mapId,
      opId: 'cap-create',
      op: {
        kind: 'feature.create',
        feature: {
          type: 'Feature',
          id: FEATURE_ID,
          geometry: { type: 'Point', coordinates: [2, 48] },
          properties: { title: 'moving' },
          version: 0,
        },
      },
    }),
  );
  await sleep(500);
  const sockets = await connectAll(FANOUT, (i) => join(target, `cap-${i}`, record));
  const started = performance.now();
  for (let k = 0; k < OPS; k++) {
    sentAt.set(k, performance.now());
    editor.send(
      JSON.stringify({
        type: 'op',
        mapId: target.mapId,
        opId: `cap-${k}`,
        op: {
          kind: 'feature.move',
          id: FEATURE_ID,
          geometry: { type: 'Point', coordinates: [(k % 360) - 180, (k % 170) - 85] },
        },
      }),
    );
    await sleep(OP_INTERVAL_MS);
  }
  const expected = OPS * FANOUT;
  const deadline = Date.now() + 30_000;
  while (latencies.length < expected && Date.now() < deadline) await sleep(100);
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const fmt = (v: number) => `${v.toFixed(1)} ms`;
  console.log(
    `fan-out: ${FANOUT} clients on one map, ${OPS} moves at ${(1000 / OP_INTERVAL_MS).toFixed(0)}/s: ${latencies.length} of ${expected} delivered (${Math.round(latencies.length / seconds)}/s)`,
  );
  console.log(
    `  send -> delivery: median ${fmt(percentile(sorted, 50))}, p90 ${fmt(percentile(sorted, 90))}, p99 ${fmt(percentile(sorted, 99))}, max ${fmt(sorted.at(-1) ?? Number.NaN)}`,
  );
  for (const ws of [...sockets, editor]) ws.terminate();
}

// The realtime HTTP API is not published: reach it on the load balancer's internal frontend.
const api = `http://${LB}:4000`;
console.log(`stack ${PROJECT}: public ${PUBLIC}, API ${api}`);
await idle(api);
await sleep(3_000);
await fanout(api);
