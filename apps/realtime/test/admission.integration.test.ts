import { commitOp, type Database, openDatabase, readOps } from '@meridian/db';
import { CloseCode, ErrorCode, isTransientCode, type Op } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../src/bus/memory-bus.ts';
import { createDataDir, createEmbeddedDataDir, createPostgresDatabase, uniqueName } from './databases.ts';
import {
  type ClusterNode,
  createMapVia,
  openClient,
  point,
  startClusterNode,
  startNode,
  type TestNode,
  tokenVia,
} from './harness.ts';
import { RawSocket, type ServerFrame } from './raw-socket.ts';
import { waitFor } from './wait.ts';

// Admission: floods of ops and of syncs are charged when they arrive, every op read gets an
// answer with its op id, refusals are transient and say when to retry, and the node keeps serving
// everyone else meanwhile. On the embedded default (PGlite, in-process bus) and on Postgres + Redis.
//
// Embedded PGlite runs its queries on this thread, so how many ops pile up there depends on how
// reads and commits interleave; the bounds on ops in flight are shown on Postgres, where commits
// are answered over the network while the socket goes on being read.

let data: Awaited<ReturnType<typeof createEmbeddedDataDir>>;
let pglite: Database;
let postgres: Awaited<ReturnType<typeof createPostgresDatabase>>;
let postgresData: Awaited<ReturnType<typeof createDataDir>>;
/** The database of the node under test (the op log is checked there). */
let db: Database;
let node: TestNode | ClusterNode | null = null;
const closers: (() => void)[] = [];

beforeAll(async () => {
  data = await createEmbeddedDataDir();
  pglite = await openDatabase({ dataDir: data.dir });
  postgres = await createPostgresDatabase();
  postgresData = await createDataDir();
});

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await node?.stop();
  node = null;
});

afterAll(async () => {
  await pglite?.close();
  await data?.remove();
  await postgres?.drop();
  await postgresData?.remove();
});

async function start(env: Record<string, string> = {}, on: 'pglite' | 'postgres' = 'pglite') {
  if (on === 'pglite') {
    db = pglite;
    node = await startNode({ db, bus: createMemoryBus(), dataDir: data.dir, env });
  } else {
    const cluster = await startClusterNode({
      databaseUrl: postgres.url,
      redisPrefix: `${uniqueName('meridian-admission')}:`,
      dataDir: postgresData.dir,
      env,
    });
    node = cluster;
    db = cluster.db;
  }
  const created = await createMapVia(node.httpUrl, 'Admission');
  const mapId = created.map.id;
  const editToken = await tokenVia(node.httpUrl, mapId, created.editKey);
  const viewToken = await tokenVia(node.httpUrl, mapId, created.viewKey);
  return { node, mapId, editToken, viewToken };
}

async function socket(wsUrl: string, token: string): Promise<RawSocket> {
  const raw = await RawSocket.open(`${wsUrl}?token=${token}`);
  closers.push(() => raw.terminate());
  return raw;
}

async function client(wsUrl: string, token: string, mapId: string, name: string): Promise<MeridianClient> {
  const c = await openClient(wsUrl, { token, mapId, name });
  closers.push(() => c.close());
  return c;
}

const createOp = (id: string): Op => ({
  kind: 'feature.create',
  feature: { type: 'Feature', id, geometry: point(2.35, 48.85), properties: { title: id }, version: 0 },
});

/** The ack or reject each op id got (an op answered twice shows up as a failure). */
function answersOf(raw: RawSocket, opIds: readonly string[]): Map<string, ServerFrame> {
  const wanted = new Set(opIds);
  const answers = new Map<string, ServerFrame>();
  for (const frame of raw.frames) {
    if ((frame.type !== 'ack' && frame.type !== 'reject') || !wanted.has(String(frame.opId))) continue;
    if (answers.has(String(frame.opId))) throw new Error(`op ${frame.opId} answered twice`);
    answers.set(String(frame.opId), frame);
  }
  return answers;
}

async function committedOpIds(mapId: string, clientId: string): Promise<Set<string>> {
  const rows = await db.prisma.op.findMany({ where: { mapId, clientId }, select: { opId: true } });
  return new Set(rows.map((row) => row.opId));
}

function expectTransient(rejects: ServerFrame[]): void {
  for (const reject of rejects) {
    expect(isTransientCode(reject.code as ErrorCode), `${reject.code} is transient`).toBe(true);
    expect(reject.retryAfterMs).toEqual(expect.any(Number));
    expect(reject.retryAfterMs as number).toBeGreaterThan(0);
  }
}

describe('admission', () => {
  it.each(['pglite', 'postgres'] as const)(
    'answers every op of a 2,000-op flood with its op id, and keeps serving others meanwhile (%s)',
    async (on) => {
      // A budget of over-limit messages large enough that the flood is refused op by op, not closed.
      const { node, mapId, editToken } = await start({ RATE_LIMIT_MAX_EXCESS: '100000' }, on);
      const flooder = await socket(node.wsUrl, editToken);
      await flooder.joinMap(mapId, 'flooder');
      const bob = await client(node.wsUrl, editToken, mapId, 'Bob');
      const bobAcks: string[] = [];
      bob.on('ack', (opId) => bobAcks.push(opId));

      const opIds = Array.from({ length: 2000 }, (_, i) => `flood-${i}`);
      for (const opId of opIds) flooder.send({ type: 'op', mapId, opId, op: createOp(opId) });
      // Meanwhile: the node answers its health check and another editor's op.
      const health = await fetch(`${node.httpUrl}/healthz`);
      expect(health.status).toBe(200);
      bob.createFeature(point(1, 1), { title: 'made during the flood' });
      await waitFor('Bob’s op to be acknowledged', () => bobAcks.length === 1, { timeoutMs: 30_000 });

      await waitFor('an answer for every flooded op', () => answersOf(flooder, opIds).size === opIds.length, {
        timeoutMs: 60_000,
      });
      const answers = [...answersOf(flooder, opIds).values()];
      const acked = answers.filter((a) => a.type === 'ack').map((a) => String(a.opId));
      const rejects = answers.filter((a) => a.type === 'reject');
      expectTransient(rejects);
      expect(rejects.map((r) => r.code)).toContain(ErrorCode.RATE_LIMITED);
      // The rate limit let a part through, not all of it.
      expect(acked.length).toBeGreaterThan(0);
      expect(acked.length).toBeLessThan(1000);
      // Exactly the acknowledged ops are in the op log: every refusal changed nothing.
      expect(await committedOpIds(mapId, 'flooder')).toEqual(new Set(acked));
      expect(flooder.isOpen).toBe(true);
      expect((await fetch(`${node.httpUrl}/healthz`)).status).toBe(200);
    },
  );

  it('refuses ops beyond the in-flight and per-map bounds with OVERLOADED, each with its op id', async () => {
    const { node, mapId, editToken } = await start(
      {
        MAX_INFLIGHT_OPS: '4',
        MAX_MAP_QUEUED_OPS: '6',
        RATE_LIMIT_MSGS_PER_S: '100000',
        RATE_LIMIT_BURST: '100000',
      },
      'postgres',
    );
    const senders = [await socket(node.wsUrl, editToken), await socket(node.wsUrl, editToken)];
    const ids = senders.map((_, s) => Array.from({ length: 150 }, (_, i) => `bound-${s}-${i}`));
    for (const [s, sender] of senders.entries()) await sender.joinMap(mapId, `bound-${s}`);
    for (const [s, sender] of senders.entries()) {
      for (const opId of ids[s] ?? []) sender.send({ type: 'op', mapId, opId, op: createOp(opId) });
    }
    for (const [s, sender] of senders.entries()) {
      const opIds = ids[s] ?? [];
      await waitFor('an answer for every op', () => answersOf(sender, opIds).size === opIds.length, {
        timeoutMs: 60_000,
      });
      const answers = [...answersOf(sender, opIds).values()];
      const rejects = answers.filter((a) => a.type === 'reject');
      expect(rejects.length).toBeGreaterThan(0);
      expect(new Set(rejects.map((r) => r.code))).toEqual(new Set([ErrorCode.OVERLOADED]));
      expectTransient(rejects);
      const acked = answers.filter((a) => a.type === 'ack').map((a) => String(a.opId));
      expect(await committedOpIds(mapId, `bound-${s}`)).toEqual(new Set(acked));
    }
  });

  it('charges a view client’s syncs by range, refuses beyond the budget, and serves them from memory', async () => {
    const { node, mapId, editToken, viewToken } = await start();
    // 1,000 ops in the op log before anyone opens the map on this node.
    for (let i = 0; i < 1000; i++) {
      const result = await commitOp(db, {
        mapId,
        clientId: 'seed',
        opId: `seed-${i}`,
        op: createOp(`s${i}`),
      });
      expect(result.status).toBe('committed');
    }
    const bob = await client(node.wsUrl, editToken, mapId, 'Bob');
    const bobAcks: string[] = [];
    bob.on('ack', (opId) => bobAcks.push(opId));
    const viewer = await socket(node.wsUrl, viewToken);
    await viewer.joinMap(mapId, 'viewer');

    for (let i = 0; i < 200; i++) viewer.send({ type: 'sync', mapId, fromSeq: 1, toSeq: 1000 });
    expect((await fetch(`${node.httpUrl}/healthz`)).status).toBe(200);
    bob.createFeature(point(3, 3), { title: 'made during the sync flood' });
    await waitFor('Bob’s op to be acknowledged', () => bobAcks.length === 1, { timeoutMs: 30_000 });

    // Past its budget of refused messages the flood is abuse: closed with 1008.
    const { code } = await viewer.closed;
    expect(code).toBe(CloseCode.POLICY_VIOLATION);
    const replays = viewer.frames.filter((f) => f.type === 'replay');
    const refused = viewer.frames.filter((f) => f.type === 'error' && f.ref === 'sync');
    // A 1,000-op sync weighs 21 tokens of the 200-token burst: about nine get through, not 200.
    // (How many of those are answered before the 1008 depends on how fast storage is, so the
    // count is bounded, not fixed; the sync below proves the answers themselves.)
    expect(replays.length).toBeLessThanOrEqual(12);
    expect(refused.length).toBeGreaterThanOrEqual(90);
    for (const error of refused) {
      expect(error).toMatchObject({ code: ErrorCode.RATE_LIMITED, mapId });
      expect(error.retryAfterMs as number).toBeGreaterThan(0);
    }
    // What memory served is exactly what the op log holds.
    const truth = (await readOps(db, mapId, 1, 1000)).map((r) => `${r.seq}/${r.opId}`);
    const second = await socket(node.wsUrl, viewToken);
    await second.joinMap(mapId, 'viewer-2');
    second.send({ type: 'sync', mapId, fromSeq: 1, toSeq: 1000 });
    replays.push(await second.next('replay'));
    for (const replay of replays) {
      const ops = replay.ops as { seq: number; opId: string }[];
      expect(ops.map((r) => `${r.seq}/${r.opId}`)).toEqual(truth);
    }
  });

  it('before a 1008 close for flooding, answers every op it read: the answers are a prefix', async () => {
    const { node, mapId, editToken } = await start({ RATE_LIMIT_MAX_EXCESS: '20' }, 'postgres');
    const flooder = await socket(node.wsUrl, editToken);
    await flooder.joinMap(mapId, 'closed-flooder');
    const opIds = Array.from({ length: 2000 }, (_, i) => `pc-${i}`);
    // A first few, until one is committed, so the flood that follows finds commits under way.
    for (const opId of opIds.slice(0, 20)) flooder.send({ type: 'op', mapId, opId, op: createOp(opId) });
    await flooder.next('ack');
    for (const opId of opIds.slice(20)) flooder.send({ type: 'op', mapId, opId, op: createOp(opId) });

    const { code } = await flooder.closed;
    expect(code).toBe(CloseCode.POLICY_VIOLATION);
    const answers = answersOf(flooder, opIds);
    // Every op read before the decision to close was answered; none after it was read.
    const answered = opIds.filter((opId) => answers.has(opId));
    expect(answered.length).toBeGreaterThan(100);
    expect(answered).toEqual(opIds.slice(0, answered.length));
    const rejects = [...answers.values()].filter((a) => a.type === 'reject');
    expectTransient(rejects);
    // Queued ops were abandoned explicitly, not left pending.
    expect(rejects.filter((r) => String(r.message).startsWith('not committed')).length).toBeGreaterThan(0);
    // No op committed without its ack: the close waited for the commit under way.
    const acked = [...answers.values()].filter((a) => a.type === 'ack').map((a) => String(a.opId));
    expect(acked.length).toBeGreaterThan(0);
    expect(await committedOpIds(mapId, 'closed-flooder')).toEqual(new Set(acked));
  });
});
