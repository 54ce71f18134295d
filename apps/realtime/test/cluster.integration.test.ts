import { stateHash } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL } from './databases.ts';
import {
  type ClusterNode,
  type CreatedMap,
  createMapVia,
  openClient,
  point,
  startTestCluster,
  type TestCluster,
  tokenVia,
  waitForSeq,
} from './harness.ts';
import { RawSocket } from './raw-socket.ts';
import { waitFor } from './wait.ts';

// Three nodes in this process on ephemeral ports, sharing the machine's Redis (a channel prefix
// of their own) and a fresh Postgres database.
let cluster: TestCluster;
let a: ClusterNode;
let b: ClusterNode;
let c: ClusterNode;
const clients: MeridianClient[] = [];

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 3, name: 'meridian-test' });
  [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
});

afterAll(async () => {
  for (const client of clients) client.close();
  await cluster?.stop();
});

async function newMap(name: string): Promise<{ created: CreatedMap; token: string }> {
  const created = await createMapVia(a.httpUrl, name);
  return { created, token: await tokenVia(b.httpUrl, created.map.id, created.editKey) };
}

async function join(node: ClusterNode, token: string, mapId: string, name: string): Promise<MeridianClient> {
  const client = await openClient(node.wsUrl, { token, mapId, name });
  clients.push(client);
  return client;
}

/** Record the seqs of the op broadcasts a client receives, to check their order. */
function seqsReceived(client: MeridianClient): number[] {
  const seqs: number[] = [];
  client.on('frame', (frame) => {
    if (frame.direction === 'in' && frame.type === 'op') seqs.push(JSON.parse(frame.data).record.seq);
  });
  return seqs;
}

describe('several nodes', () => {
  it('two nodes: a client on A sees ops and presence from a client on B, in seq order', async () => {
    const { created, token } = await newMap('Two nodes');
    const onA = await join(a, token, created.map.id, 'On A');
    const onB = await join(b, token, created.map.id, 'On B');
    const seqsAtA = seqsReceived(onA);
    const ids = Array.from({ length: 10 }, (_, i) => onB.createFeature(point(i, i), { title: `b${i}` }));
    // A moves B's features once it has them (a move racing the create would be a typed reject).
    await waitForSeq([onA, onB], 10);
    for (const id of ids.slice(0, 5)) onA.moveFeature(id, point(10, 10));
    await waitForSeq([onA, onB], 15);
    expect(seqsAtA).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(stateHash(onA.replica.confirmed)).toBe(stateHash(onB.replica.confirmed));

    onB.setCursor([12.5, 41.9]);
    await waitFor('B’s cursor on A', () => onA.peers.get(onB.clientId)?.cursor?.[0] === 12.5);
    onB.close();
    await waitFor('B to leave A’s presence', () => !onA.peers.has(onB.clientId));
  });

  it('three nodes: concurrent edits on A, B and C converge, each client sees seqs strictly in order', async () => {
    const { created, token } = await newMap('Three nodes');
    const members = await Promise.all([
      join(a, token, created.map.id, 'A1'),
      join(b, token, created.map.id, 'B1'),
      join(c, token, created.map.id, 'C1'),
      join(c, token, created.map.id, 'C2'),
    ]);
    const received = members.map(seqsReceived);
    const perClient = 15;
    members.forEach((member, m) => {
      for (let i = 0; i < perClient; i++) member.createFeature(point(m, i), { title: `${m}-${i}` });
    });
    const total = members.length * perClient;
    await waitForSeq(members, total);
    for (const seqs of received) expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const hashes = new Set(members.map((member) => stateHash(member.replica.confirmed)));
    expect(hashes.size).toBe(1);
    expect(members[0]?.features.size).toBe(total);

    await waitFor('everyone to see everyone', () =>
      members.every((member) => member.peers.size === members.length - 1),
    );
    const names = [...(members[0]?.peers.values() ?? [])].map((entry) => entry.name).sort();
    expect(names).toEqual(['B1', 'C1', 'C2']);
  });

  it('resume on a different node with lastSeq gets exactly the missed ops; a retried op id is not applied twice', async () => {
    const { created, token } = await newMap('Resume');
    const mapId = created.map.id;
    const editor = await join(a, token, mapId, 'Editor');
    editor.createFeature(point(1, 1));
    await waitForSeq([editor], 1);

    const roamer = await RawSocket.open(`${a.wsUrl}?token=${token}`);
    const snapshot = await roamer.joinMap(mapId, 'roamer');
    expect(snapshot).toMatchObject({ type: 'snapshot', seq: 1 });
    const op = {
      type: 'op',
      mapId,
      opId: 'o-roamer-1',
      op: {
        kind: 'feature.update',
        id: [...editor.features.keys()][0],
        properties: { title: 'from roamer' },
      },
    };
    roamer.send(op);
    const ack = await roamer.next('ack');
    expect(ack.seq).toBe(2);
    roamer.terminate();

    const missed = [
      editor.createFeature(point(2, 2)),
      editor.createFeature(point(3, 3)),
      editor.createFeature(point(4, 4)),
    ];
    await waitForSeq([editor], 5);

    const back = await RawSocket.open(`${c.wsUrl}?token=${token}`);
    const replay = await back.joinMap(mapId, 'roamer', { lastSeq: 2 });
    expect(replay).toMatchObject({ type: 'replay', fromSeq: 3, toSeq: 5 });
    const records = replay.ops as { seq: number; op: { feature: { id: string } } }[];
    expect(records.map((r) => r.seq)).toEqual([3, 4, 5]);
    expect(records.map((r) => r.op.feature.id)).toEqual(missed);

    // The roamer retries its op on the new node (as after a lost ack): same seq, nothing applied.
    back.send(op);
    const again = await back.next('ack', (f) => f.opId === 'o-roamer-1');
    expect(again).toMatchObject({ seq: 2, duplicate: true });
    editor.createFeature(point(5, 5));
    await waitForSeq([editor], 6);
    const check = await RawSocket.open(`${b.wsUrl}?token=${token}`);
    expect(await check.joinMap(mapId, 'checker')).toMatchObject({ type: 'snapshot', seq: 6 });
    back.close();
    check.close();
  });

  it('a node subscribes to a map’s channel only while it has a client on that map', async () => {
    const { created, token } = await newMap('Channels');
    const channel = `${cluster.storage.redisPrefix}map:${created.map.id}`;
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    try {
      const subscribers = async () => Number((await redis.pubSubNumSub(channel))[channel] ?? 0);
      expect(await subscribers()).toBe(0);
      const first = await join(b, token, created.map.id, 'first');
      const second = await join(b, token, created.map.id, 'second');
      const third = await join(c, token, created.map.id, 'third');
      await waitFor('two node subscriptions', async () => (await subscribers()) === 2);
      first.close();
      await waitFor('B to keep its subscription', async () => b.server.stats().connections >= 1);
      expect(await subscribers()).toBe(2);
      second.close();
      await waitFor('B to unsubscribe', async () => (await subscribers()) === 1);
      third.close();
      await waitFor('C to unsubscribe', async () => (await subscribers()) === 0);
    } finally {
      await redis.close();
    }
  });
});
