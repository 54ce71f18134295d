import { type Database, loadSnapshot, openDatabase } from '@meridian/db';
import { createMapState, ErrorCode, stateHash } from '@meridian/protocol';
import {
  type ConnectionState,
  MeridianClient,
  type OpRejectedEvent,
  type WebSocketConstructor,
} from '@meridian/protocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createMapVia, openClient, point, tokenVia } from './harness.ts';
import { startNodeBehindPostgresProxy } from './postgres-behind-proxy.ts';
import { sleep, waitFor } from './wait.ts';

// The real MeridianClient against a real node whose Postgres sits behind a proxy the test cuts:
// what people do while the database is away must all land, once, when it is back.

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function nodeBehindProxy() {
  const { node, proxy, databaseUrl } = await startNodeBehindPostgresProxy(cleanups, 'meridian-retry');
  const direct = await openDatabase({ databaseUrl, migrate: false, poolMax: 2 });
  cleanups.push(() => direct.close());
  return { node, proxy, direct };
}

function watch(client: MeridianClient) {
  const refusals: OpRejectedEvent[] = [];
  const states: ConnectionState[] = [];
  client.on('opRejected', (event) => refusals.push(event));
  client.on('status', (state) => states.push(state));
  cleanups.push(() => client.close());
  return { client, refusals, states };
}

/** The op log holds each of `opIds` exactly once, and the clients agree with the database. */
async function expectLandedOnce(db: Database, mapId: string, clients: MeridianClient[], opIds: string[][]) {
  const head = async () => (await loadSnapshot(db, mapId))?.seq ?? -1;
  await waitFor(
    'every client to be joined with nothing pending and the whole op log applied',
    async () => {
      const seq = await head();
      return clients.every((c) => c.joined && c.pendingCount === 0 && c.seq === seq);
    },
    { timeoutMs: 45_000, intervalMs: 100 },
  ).catch(async (error: Error) => {
    const states = clients.map((c) => `${c.status.kind}/${c.seq}/${c.pendingCount}`);
    throw new Error(`${error.message}: db at ${await head()}, clients ${states.join(' ')}`);
  });
  const logged = await db.prisma.op.findMany({ where: { mapId }, select: { opId: true, clientId: true } });
  const keys = logged.map((row) => `${row.clientId}/${row.opId}`);
  clients.forEach((client, i) => {
    for (const opId of opIds[i] ?? []) {
      expect(
        keys.filter((key) => key === `${client.clientId}/${opId}`),
        opId,
      ).toHaveLength(1);
    }
  });
  const snapshot = await loadSnapshot(db, mapId);
  if (!snapshot) throw new Error('map vanished');
  const truth = stateHash(createMapState(snapshot.map.name, snapshot.features));
  for (const client of clients) expect(stateHash(client.replica.confirmed)).toBe(truth);
}

describe('the real client through a database outage', () => {
  it('commits every edit made during the outage exactly once after it returns', async () => {
    const { node, proxy, direct } = await nodeBehindProxy();
    const created = await createMapVia(node.httpUrl, 'Outage');
    const mapId = created.map.id;
    const token = await tokenVia(node.httpUrl, mapId, created.editKey);
    const people = await Promise.all(
      ['ann', 'ben', 'cat'].map(async (name) => watch(await openClient(node.wsUrl, { token, mapId, name }))),
    );

    proxy.cut();
    // Each person makes 12 edits over ~1.2 s: creates, then moves of their own features.
    const made: string[][] = people.map(() => []);
    const titles: string[] = [];
    for (let round = 0; round < 12; round++) {
      people.forEach(({ client }, p) => {
        const mine = [...client.features.values()].filter((f) => f.properties.title?.startsWith(`${p}-`));
        if (round % 3 === 2 && mine[0]) {
          made[p]?.push(client.moveFeature(mine[0].id, point(p, round)));
        } else {
          const title = `${p}-${round}`;
          titles.push(title);
          const before = client.pendingCount;
          client.createFeature(point(p * 10, round), { title });
          made[p]?.push(client.replica.pending[before]?.opId ?? 'missing');
        }
      });
      await sleep(100);
    }
    await waitFor('some edits to be refused for a transient reason', () =>
      people.some(({ refusals }) => refusals.some((r) => r.code === ErrorCode.STORAGE_UNAVAILABLE)),
    );
    // Nothing was dropped: every refusal so far is a transient one, and every edit is still shown.
    for (const { refusals } of people) expect(refusals.filter((r) => r.final)).toEqual([]);
    expect(people.map(({ client }) => client.pendingCount)).toEqual(made.map((ops) => ops.length));

    await sleep(1500);
    proxy.restore();
    await expectLandedOnce(
      direct,
      mapId,
      people.map(({ client }) => client),
      made,
    );
    const shown = [...(people[0]?.client.features.values() ?? [])].map((f) => f.properties.title);
    expect(shown.sort()).toEqual([...titles].sort());
    for (const { refusals } of people) expect(refusals.filter((r) => r.final)).toEqual([]);
  });

  it('a join refused during the outage is retried until it succeeds, then the queued edits go out', async () => {
    const { node, proxy, direct } = await nodeBehindProxy();
    const created = await createMapVia(node.httpUrl, 'Join outage');
    const mapId = created.map.id;
    const token = await tokenVia(node.httpUrl, mapId, created.editKey);

    // Nobody is on the map, so the node must read it from the database to answer a join.
    proxy.cut();
    const late = watch(
      new MeridianClient({
        url: node.wsUrl,
        token,
        mapId,
        user: { name: 'Late', color: '#3366ff' },
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        backoff: { initialMs: 100, maxMs: 800, factor: 2 },
        pingIntervalMs: 0,
      }),
    );
    const queued = [
      late.client.createFeature(point(1, 1), { title: 'queued 1' }),
      late.client.createFeature(point(2, 2), { title: 'queued 2' }),
    ];
    late.client.connect();
    await waitFor('the join to be refused and a retry scheduled', () =>
      late.states.some((s) => s.kind === 'joining' && s.retry?.code === ErrorCode.STORAGE_UNAVAILABLE),
    );
    await waitFor(
      'a second refusal (the retry went out on the same socket)',
      () => late.states.filter((s) => s.kind === 'joining' && s.retry !== null).length >= 2,
    );
    expect(late.states.filter((s) => s.kind === 'handshaking')).toHaveLength(1);
    expect(late.client.joined).toBe(false);
    expect(late.client.pendingCount).toBe(2);

    proxy.restore();
    await waitFor('the client to join', () => late.client.joined, { timeoutMs: 30_000 });
    const opIds = late.client.replica.pending.map((p) => p.opId);
    await expectLandedOnce(direct, mapId, [late.client], [opIds]);
    expect([...late.client.confirmedFeatures.keys()].sort()).toEqual([...queued].sort());
    expect(late.refusals).toEqual([]);
  });
});
