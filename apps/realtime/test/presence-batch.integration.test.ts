import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL } from './databases.ts';
import {
  type ClusterNode,
  type CreatedMap,
  createMapVia,
  startTestCluster,
  type TestCluster,
  tokenVia,
} from './harness.ts';
import { RawSocket, type ServerFrame } from './raw-socket.ts';
import { waitFor } from './wait.ts';

// Two nodes in this process joined by the machine's Redis (a channel prefix of their own) and a
// fresh Postgres database; presence batched every BATCH_MS, long enough that a burst is one batch.
const BATCH_MS = 300;
let cluster: TestCluster;
let a: ClusterNode;
let b: ClusterNode;
let created: CreatedMap;
let token: string;
const sockets: RawSocket[] = [];
let redis: ReturnType<typeof createClient>;
let watcher: ReturnType<typeof createClient>;
/** What node A published on the map's channel, as received from Redis. */
const busMessages: string[] = [];

beforeAll(async () => {
  const env = { PRESENCE_BATCH_MS: String(BATCH_MS), PRESENCE_FLUSH_MS: '10' };
  cluster = await startTestCluster({ nodes: 2, name: 'meridian-test', env });
  [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
  created = await createMapVia(a.httpUrl, 'Batches');
  token = await tokenVia(a.httpUrl, created.map.id, created.editKey);
  redis = createClient({ url: REDIS_URL });
  watcher = createClient({ url: REDIS_URL });
  await Promise.all([redis.connect(), watcher.connect()]);
  await watcher.subscribe(channel(), (message) => {
    if (message.includes(`"nodeId":"${a.config.nodeId}"`) && message.startsWith('{"type":"presenceBatch"'))
      busMessages.push(message);
  });
});

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await Promise.allSettled([redis?.close(), watcher?.close()]);
  await cluster?.stop();
});

const channel = () => `${cluster.storage.redisPrefix}map:${created.map.id}`;

async function joined(node: ClusterNode, clientId: string): Promise<RawSocket> {
  const socket = await RawSocket.open(`${node.wsUrl}?token=${token}`);
  sockets.push(socket);
  await socket.joinMap(created.map.id, clientId);
  return socket;
}

type Entry = { clientId: string; cursor: [number, number] | null };
const entriesOf = (frame: ServerFrame) => (frame.type === 'presenceBatch' ? (frame.entries as Entry[]) : []);
/** Every `<clientId>@<x>` a socket was sent in presence batches, in order. */
const seen = (socket: RawSocket) =>
  socket.frames.flatMap(entriesOf).map((entry) => `${entry.clientId}@${entry.cursor?.[0] ?? '-'}`);

async function invalidDropped(node: ClusterNode): Promise<number> {
  const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('meridian_bus_invalid_dropped_total'));
  return Number(line?.split(' ').at(-1) ?? 0);
}

describe('presence batches across nodes', () => {
  it('a burst on node A reaches each receiver on node B once, in one forwarded batch', async () => {
    const receivers = [await joined(b, 'r1'), await joined(b, 'r2')];
    const movers = [await joined(a, 'm1'), await joined(a, 'm2')];
    // A first cursor move lists each mover (audience mode: a join alone is only counted).
    for (const mover of movers) mover.send({ type: 'presence', mapId: created.map.id, cursor: [0, 0] });
    // Both movers are listed and the batch interval has passed: A is quiet.
    await waitFor('the receivers to see both movers', () =>
      receivers.every((r) => ['m1', 'm2'].every((id) => seen(r).some((s) => s.startsWith(`${id}@`))))
        ? true
        : null,
    );
    await new Promise((resolve) => setTimeout(resolve, BATCH_MS + 50));
    const framesBefore = receivers.map((r) => r.count('presenceBatch'));
    const busBefore = busMessages.length;

    const mapId = created.map.id;
    for (let x = 1; x <= 5; x++)
      for (const mover of movers) mover.send({ type: 'presence', mapId, cursor: [x, 0] });
    await waitFor('both movers’ last cursor at both receivers', () =>
      receivers.every((r) => seen(r).includes('m1@5') && seen(r).includes('m2@5')) ? true : null,
    );
    await new Promise((resolve) => setTimeout(resolve, BATCH_MS + 50));

    for (const [i, receiver] of receivers.entries()) {
      const frames = receiver.frames.filter((f) => f.type === 'presenceBatch').slice(framesBefore[i]);
      // The first move went out at once; everything after it, both movers, in one more frame.
      expect(frames.length).toBe(2);
      const last = entriesOf(frames[1] as ServerFrame).map((e) => `${e.clientId}@${e.cursor?.[0]}`);
      expect(last.sort()).toEqual(['m1@5', 'm2@5']);
      // Once: no entry arrived twice (a node forwards a peer's batch once, to each socket once).
      const entries = frames.flatMap(entriesOf).map((e) => `${e.clientId}@${e.cursor?.[0]}`);
      expect(new Set(entries).size).toBe(entries.length);
    }
    // Node A published one bus message per batch, not one per change or per receiver.
    expect(busMessages.length - busBefore).toBe(2);
    // The frame B's sockets read is the very text A put on the bus.
    const forwarded = busMessages.at(-1) ?? '';
    expect(
      forwarded.endsWith(
        `${JSON.stringify(receivers[0]?.frames.findLast((f) => f.type === 'presenceBatch'))}}`,
      ),
    ).toBe(true);
  });

  it('drops and counts malformed bus bytes on the map’s channel, and goes on working', async () => {
    const receiver = await joined(b, 'r3');
    const mover = await joined(a, 'm3');
    const before = await invalidDropped(b);
    const mapId = created.map.id;
    const garbage = [
      'not json at all',
      '{"type":"presenceBatch",',
      `{"type":"presenceBatch","mapId":"${mapId}","nodeId":"evil","frame":{"type":"presenceBatch","mapId":"${mapId}","entries":[]}}`,
      `{"type":"presenceBatch","mapId":"${mapId}","nodeId":"evil","frame":null}`,
      `{"type":"presence","mapId":"${mapId}","nodeId":"evil","entry":{"clientId":42}}`,
      `{"type":"nope","mapId":"${mapId}"}`,
      '[]',
    ];
    for (const raw of garbage) await redis.publish(channel(), raw);
    await waitFor('the drops to be counted', async () =>
      (await invalidDropped(b)) - before >= garbage.length ? true : null,
    );
    expect((await invalidDropped(b)) - before).toBe(garbage.length);

    // Both nodes still carry presence, and nothing malformed reached a socket.
    mover.send({ type: 'presence', mapId, cursor: [42, 1] });
    await waitFor('the move after the garbage', () => (seen(receiver).includes('m3@42') ? true : null));
    expect(receiver.ws.readyState).toBe(receiver.ws.OPEN);
    expect(receiver.frames.filter((f) => f.type === '<unparseable>' || f.type === 'error')).toEqual([]);
    expect(seen(receiver).some((s) => s.startsWith('evil'))).toBe(false);
  });
});
