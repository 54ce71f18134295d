/**
 * Nothing lost under faults: `editors` people (the real MeridianClient) edit one map through a
 * load balancer in front of `nodes` realtime nodes sharing a Redis and a Postgres, while random
 * faults hit the deployment for `durationMs`: a node killed with SIGKILL and restarted, a node
 * drained with SIGTERM and restarted, Redis restarted, the database stalled (no byte moves) or
 * reset (every connection cut) through a TCP proxy. Then everything heals and the run counts the
 * edits the people made against the op log and the final state.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { stateHash } from '@meridian/protocol';
import { MeridianClient, type WebSocketConstructor } from '@meridian/protocol/client';
import WebSocket from 'ws';
import { FaultProxy } from '../faults/tcp-proxy.ts';
import { createDatabase, dropDatabase, queryRows } from '../systems/meridian.ts';
import {
  freePort,
  httpOk,
  type ManagedProcess,
  registerCleanup,
  startProcess,
  startRealtimeNode,
  waitUntilReady,
} from '../systems/spawn.ts';

const REALTIME_ENTRY = fileURLToPath(new URL('../../../apps/realtime/src/index.ts', import.meta.url));

/** Tries to bring a killed node back before the run gives up. */
const NODE_START_ATTEMPTS = 20;

export const FAULT_KINDS = ['kill9', 'sigterm', 'redisRestart', 'dbStall', 'dbReset'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultOptions {
  editors: number;
  nodes: number;
  /** How long faults are injected while people edit. */
  durationMs: number;
  /** Each editor makes one edit about this often (jittered ±50%). */
  editIntervalMs: number;
  /** Pause between one fault's recovery and the next fault (random in this range). */
  faultGapMs: [number, number];
  /** How long a fault lasts before it is healed (random in this range). */
  faultDownMs: [number, number];
  seed: number;
  /** Longest wait for every client to settle after the faults. */
  settleTimeoutMs: number;
  log?: (line: string) => void;
}

export const DEFAULT_FAULT_OPTIONS: FaultOptions = {
  editors: 30,
  nodes: 3,
  durationMs: 60_000,
  editIntervalMs: 1_000,
  faultGapMs: [1_000, 4_000],
  faultDownMs: [500, 3_000],
  seed: 1,
  settleTimeoutMs: 120_000,
};

export interface FaultReport {
  editors: number;
  nodes: number;
  durationMs: number;
  faults: Record<FaultKind, number>;
  /** Edits people made (op ids submitted). */
  made: number;
  /** Of those, in the op log. */
  committed: number;
  /** Refused for good (a permanent code): the person was told. */
  refused: number;
  /** Made, not refused, and not in the op log. */
  lost: number;
  /** Op ids in the op log more than once, plus features created twice. */
  duplicated: number;
  /** Features whose final title or position is not the last one their editor set. */
  staleFeatures: number;
  /** Transient refusals that the clients retried. */
  retried: number;
  /** Distinct state hashes among the clients and a fresh reader (1 = all equal). */
  distinctHashes: number;
  /** Time from the end of the faults until every client was in sync. */
  settleMs: number;
  /** Clients not in sync when the settle timeout ran out. */
  unsettled: number;
}

/** A small seeded generator (mulberry32), so a run's faults can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class RedisProcess {
  #proc: ManagedProcess | null = null;
  readonly port: number;
  constructor(port: number) {
    this.port = port;
  }
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const proc = startProcess('fault-redis', 'redis-server', args, process.env, null);
    this.#proc = proc;
    await waitUntilReady(proc, () => tcpAccepts(this.port), 15_000);
  }
  async stop(): Promise<void> {
    await this.#proc?.stop();
    this.#proc = null;
  }
}

async function tcpAccepts(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface NodeSlot {
  index: number;
  port: number;
  proc: ManagedProcess | null;
}

interface Editor {
  client: MeridianClient;
  made: string[];
  refused: Set<string>;
  retried: number;
  /** featureId → the title and point its editor set last. */
  expected: Map<string, { title: string; at: [number, number] }>;
}

export async function runFaults(partial: Partial<FaultOptions> = {}): Promise<FaultReport> {
  const options: FaultOptions = { ...DEFAULT_FAULT_OPTIONS, ...partial };
  const log = options.log ?? (() => {});
  const random = seeded(options.seed);
  const between = ([low, high]: [number, number]) => low + random() * (high - low);
  const teardown: (() => Promise<unknown>)[] = [];
  const unregister = registerCleanup(async () => {
    for (const step of teardown.splice(0).reverse()) await step().catch(() => {});
  });

  try {
    const dbName = `bench_faults_${randomBytes(4).toString('hex')}`;
    const directUrl = await createDatabase(dbName);
    teardown.push(() => dropDatabase(dbName));
    const dbProxy = await FaultProxy.start([Number(new URL(directUrl).port || 5432)]);
    teardown.push(() => dbProxy.close());
    const viaProxy = new URL(directUrl);
    viaProxy.port = String(dbProxy.port);

    const redis = new RedisProcess(await freePort());
    await redis.start();
    teardown.push(() => redis.stop());

    const secret = randomBytes(32).toString('hex');
    const slots: NodeSlot[] = [];
    for (let i = 0; i < options.nodes; i++) slots.push({ index: i, port: await freePort(), proc: null });
    const startNode = async (slot: NodeSlot) => {
      const proc = startRealtimeNode({
        name: `fault-node-${slot.index}`,
        entry: REALTIME_ENTRY,
        port: slot.port,
        nodeId: `fault-n${slot.index}-${randomBytes(2).toString('hex')}`,
        redisUrl: redis.url,
        redisPrefix: `${dbName}:`,
        databaseUrl: viaProxy.toString(),
        secret,
        cpus: null,
      });
      slot.proc = proc;
      await waitUntilReady(proc, () => tcpAccepts(slot.port), 60_000);
    };
    /**
     * As an orchestrator would: a node that cannot start (it exits when the database is
     * unreachable at boot) is started again, a bounded number of times.
     */
    const restartNode = async (slot: NodeSlot) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await startNode(slot);
          return;
        } catch (error) {
          await slot.proc?.stop();
          if (attempt >= NODE_START_ATTEMPTS) throw error;
          log(`node ${slot.index} failed to start (attempt ${attempt}); starting it again`);
          await sleep(1_000);
        }
      }
    };
    const stopNodes = () => Promise.all(slots.map((slot) => slot.proc?.stop()));
    teardown.push(stopNodes);
    // The first node migrates the fresh database; the others start once it has.
    await startNode(slots[0] as NodeSlot);
    await waitUntilReady(slots[0]?.proc as ManagedProcess, () =>
      httpOk(`http://127.0.0.1:${slots[0]?.port}/readyz`),
    );
    await Promise.all(slots.slice(1).map(startNode));
    const balancer = await FaultProxy.start(slots.map((slot) => slot.port));
    teardown.push(() => balancer.close());

    const http = `http://127.0.0.1:${slots[0]?.port}`;
    const created = await postJson<{ map: { id: string }; editKey: string }>(`${http}/api/maps`, {
      name: 'Fault run',
    });
    const mapId = created.map.id;
    const { token } = await postJson<{ token: string }>(`${http}/api/maps/${mapId}/sessions`, {
      key: created.editKey,
    });
    const wsUrl = `ws://127.0.0.1:${balancer.port}/ws`;
    const newClient = (name: string) =>
      new MeridianClient({
        url: wsUrl,
        mapId,
        token,
        user: { name, color: '#1d4ed8' },
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        backoff: { initialMs: 100, maxMs: 2_000, factor: 2 },
        pingIntervalMs: 0,
      });

    const editors: Editor[] = Array.from({ length: options.editors }, (_, i) => {
      const editor: Editor = {
        client: newClient(`editor-${i}`),
        made: [],
        refused: new Set(),
        retried: 0,
        expected: new Map(),
      };
      editor.client.on('opRejected', (event) => {
        if (event.final) editor.refused.add(event.opId);
        else editor.retried++;
      });
      return editor;
    });
    teardown.push(async () => {
      for (const editor of editors) editor.client.close();
    });
    for (const editor of editors) editor.client.connect();
    await waitFor(() => editors.every((e) => e.client.joined), 60_000, 'every editor to join');
    log(`${options.editors} editors joined through the balancer on ${options.nodes} nodes`);

    // ---- people edit while faults happen ----
    let editing = true;
    const editLoops = editors.map(async (editor, e) => {
      let n = 0;
      while (editing) {
        await sleep(options.editIntervalMs * (0.5 + random()));
        if (!editing) break;
        const mine = [...editor.expected.keys()];
        const roll = random();
        const at: [number, number] = [
          Math.round((random() * 360 - 180) * 1e4) / 1e4,
          Math.round((random() * 160 - 80) * 1e4) / 1e4,
        ];
        const client = editor.client;
        let opId: string;
        if (mine.length < 3 || roll < 0.4) {
          const title = `e${e}-${n}`;
          const id = `f-e${e}-${n}`;
          client.createFeature({ type: 'Point', coordinates: at }, { title }, id);
          opId = client.replica.pending.at(-1)?.opId ?? '';
          editor.expected.set(id, { title, at });
        } else {
          const id = mine[Math.floor(random() * mine.length)] as string;
          const current = editor.expected.get(id) as { title: string; at: [number, number] };
          if (roll < 0.7) {
            const title = `e${e}-${n}-renamed`;
            opId = client.updateFeature(id, { title });
            editor.expected.set(id, { ...current, title });
          } else {
            opId = client.moveFeature(id, { type: 'Point', coordinates: at });
            editor.expected.set(id, { ...current, at });
          }
        }
        editor.made.push(opId);
        n++;
      }
    });

    const faults: Record<FaultKind, number> = {
      kill9: 0,
      sigterm: 0,
      redisRestart: 0,
      dbStall: 0,
      dbReset: 0,
    };
    // A node comes back in the background (a Node process takes seconds to start on a busy
    // machine) while other faults go on; at least one node is always up.
    const restarting = new Set<Promise<void>>();
    const restartFailures: unknown[] = [];
    const down = new Set<NodeSlot>();
    // Every kind in turn, in a shuffled order per round, so a short run still has each of them.
    let bag: FaultKind[] = [];
    const faultsEnd = Date.now() + options.durationMs;
    while (Date.now() < faultsEnd) {
      await sleep(between(options.faultGapMs));
      if (Date.now() >= faultsEnd) break;
      if (bag.length === 0) bag = [...FAULT_KINDS].sort(() => random() - 0.5);
      let kind = bag.pop() as FaultKind;
      const live = slots.filter((slot) => !down.has(slot));
      if ((kind === 'kill9' || kind === 'sigterm') && live.length < 2) kind = 'dbReset';
      const downMs = between(options.faultDownMs);
      faults[kind]++;
      log(`fault ${kind} for ${Math.round(downMs)} ms`);
      switch (kind) {
        case 'kill9':
        case 'sigterm': {
          const slot = live[Math.floor(random() * live.length)] as NodeSlot;
          const proc = slot.proc as ManagedProcess;
          down.add(slot);
          const exited = new Promise<void>((resolve) => {
            if (proc.child.exitCode !== null || proc.child.signalCode !== null) resolve();
            else proc.child.once('exit', () => resolve());
          });
          proc.child.kill(kind === 'kill9' ? 'SIGKILL' : 'SIGTERM');
          const back: Promise<void> = (async () => {
            await exited;
            await proc.stop();
            await sleep(downMs);
            await restartNode(slot);
            down.delete(slot);
          })()
            .catch((error: unknown) => {
              restartFailures.push(error);
            })
            .finally(() => restarting.delete(back));
          restarting.add(back);
          break;
        }
        case 'redisRestart':
          await redis.stop();
          await sleep(downMs);
          await redis.start();
          break;
        case 'dbStall':
          dbProxy.stall();
          await sleep(downMs);
          dbProxy.restore();
          break;
        case 'dbReset':
          dbProxy.cut();
          await sleep(downMs);
          dbProxy.restore();
          break;
      }
    }
    editing = false;
    await Promise.all(editLoops);
    await Promise.all([...restarting]);
    if (restartFailures.length > 0) throw restartFailures[0];
    log('faults over; waiting for every client to settle');

    // ---- settle: everyone in sync with the op log ----
    const settleStart = Date.now();
    const head = async () =>
      Number(
        (
          await queryRows(directUrl, `SELECT coalesce(max(seq), 0) FROM "Op" WHERE "mapId" = '${mapId}'`)
        )[0]?.[0] ?? 0,
      );
    const inSync = async () => {
      const seq = await head();
      return editors.filter((e) => !(e.client.joined && e.client.pendingCount === 0 && e.client.seq === seq));
    };
    let behind = await inSync();
    while (behind.length > 0 && Date.now() - settleStart < options.settleTimeoutMs) {
      await sleep(250);
      behind = await inSync();
    }
    const settleMs = Date.now() - settleStart;
    if (behind.length > 0)
      log(
        `unsettled: ${behind.map((e) => `${e.client.status.kind}/${e.client.seq}/${e.client.pendingCount}`).join(' ')}`,
      );

    // ---- count ----
    const rows = await queryRows(directUrl, `SELECT "clientId", "opId" FROM "Op" WHERE "mapId" = '${mapId}'`);
    const logged = new Map<string, number>();
    for (const [clientId, opId] of rows)
      logged.set(`${clientId}/${opId}`, (logged.get(`${clientId}/${opId}`) ?? 0) + 1);
    let made = 0;
    let committed = 0;
    let refused = 0;
    let lost = 0;
    for (const editor of editors) {
      for (const opId of editor.made) {
        made++;
        const key = `${editor.client.clientId}/${opId}`;
        if (logged.has(key)) committed++;
        else if (editor.refused.has(opId)) refused++;
        else lost++;
      }
    }
    let duplicated = [...logged.values()].filter((count) => count > 1).length;

    const reader = newClient('reader');
    reader.connect();
    await waitFor(() => reader.joined, 30_000, 'a fresh reader to join');
    const truth = reader.replica.confirmed;
    const titles = [...truth.features.values()].map((f) => f.properties.title ?? '');
    duplicated += titles.length - new Set(titles).size;
    let staleFeatures = 0;
    for (const editor of editors) {
      for (const [id, want] of editor.expected) {
        const feature = truth.features.get(id);
        const coordinates = feature?.geometry.type === 'Point' ? feature.geometry.coordinates : null;
        if (
          feature?.properties.title !== want.title ||
          coordinates?.[0] !== want.at[0] ||
          coordinates?.[1] !== want.at[1]
        )
          staleFeatures++;
      }
    }
    const hashes = new Set([stateHash(truth), ...editors.map((e) => stateHash(e.client.replica.confirmed))]);
    reader.close();

    return {
      editors: options.editors,
      nodes: options.nodes,
      durationMs: options.durationMs,
      faults,
      made,
      committed,
      refused,
      lost,
      duplicated,
      staleFeatures,
      retried: editors.reduce((sum, e) => sum + e.retried, 0),
      distinctHashes: hashes.size,
      settleMs,
      unsettled: behind.length,
    };
  } finally {
    for (const step of teardown.splice(0).reverse()) await step().catch(() => {});
    unregister();
  }
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** The report as a Markdown table. */
export function faultTable(report: FaultReport): string {
  const faults = FAULT_KINDS.map((kind) => `${kind} ${report.faults[kind]}`).join(', ');
  const rows: [string, string][] = [
    ['editors × nodes', `${report.editors} × ${report.nodes}`],
    ['faults', `${(report.durationMs / 1000).toFixed(0)} s: ${faults}`],
    ['edits made', String(report.made)],
    ['in the op log', String(report.committed)],
    ['refused for good (told)', String(report.refused)],
    ['lost', String(report.lost)],
    ['duplicated', String(report.duplicated)],
    ['features not as last set', String(report.staleFeatures)],
    ['transient refusals retried', String(report.retried)],
    ['distinct state hashes', String(report.distinctHashes)],
    ['settle after faults', `${(report.settleMs / 1000).toFixed(1)} s (${report.unsettled} unsettled)`],
  ];
  return ['| measure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}
