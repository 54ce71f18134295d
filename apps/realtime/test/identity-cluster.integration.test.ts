import { PERSON_PALETTE } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
import { waitFor } from './wait.ts';

// Two nodes in this process over the machine's Redis (a channel prefix of their own) and a fresh
// Postgres database: who is listed on a map, with which colour, and who is only counted.
let cluster: TestCluster;
let a: ClusterNode;
let b: ClusterNode;
let clients: MeridianClient[] = [];

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 2, name: 'meridian-ident' });
  [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
});

afterEach(() => {
  for (const client of clients) client.close();
  clients = [];
});

afterAll(async () => {
  await cluster?.stop();
});

async function newMap(name: string): Promise<{ created: CreatedMap; edit: string; view: string }> {
  const created = await createMapVia(a.httpUrl, name);
  const [edit, view] = await Promise.all([
    tokenVia(a.httpUrl, created.map.id, created.editKey),
    tokenVia(a.httpUrl, created.map.id, created.viewKey),
  ]);
  return { created, edit, view };
}

async function join(
  node: ClusterNode,
  token: string,
  mapId: string,
  name: string,
  extra: { personId?: string; color?: string } = {},
): Promise<MeridianClient> {
  const client = await openClient(node.wsUrl, { token, mapId, name, ...extra });
  clients.push(client);
  return client;
}

/** How many frames of a type a client receives from now on (presence: about other people). */
function countFrames(client: MeridianClient, type: string): { count: number } {
  const counter = { count: 0 };
  client.on('frame', (frame) => {
    if (frame.direction !== 'in' || frame.type !== type) return;
    if (type === 'presence' && JSON.parse(frame.data).entry.personId === client.personId) return;
    counter.count++;
  });
  return counter;
}

describe('identity across nodes', () => {
  it('gives 12 people joining at once on two nodes 12 distinct colours, the same ones everywhere', async () => {
    const { created, edit } = await newMap('Twelve');
    const mapId = created.map.id;
    // Everyone asks for the same colour, so every node's first pick collides with the other's.
    const people = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        join(i % 2 === 0 ? a : b, edit, mapId, `P${i}`, { personId: `p-${i}`, color: PERSON_PALETTE[0] }),
      ),
    );
    for (const [i, person] of people.entries()) person.setCursor([i, i]);
    const settled = () => {
      const colorOf = new Map(people.map((person) => [person.personId, person.color]));
      if (new Set(colorOf.values()).size !== 12) return false;
      // Everyone sees everyone else in the colour that person sees for themself.
      return people.every(
        (viewer) =>
          viewer.peers.size === 11 &&
          [...viewer.peers.values()].every((peer) => colorOf.get(peer.personId) === peer.color),
      );
    };
    await waitFor('12 distinct colours, agreed on both nodes', settled, { timeoutMs: 20_000 });
  });

  it('shows a person in two tabs on two nodes once, with the cursor of the tab used last', async () => {
    const { created, edit } = await newMap('Two tabs');
    const mapId = created.map.id;
    const bo = await join(a, edit, mapId, 'Bo', { personId: 'p-bo' });
    const adaOnA = await join(a, edit, mapId, 'Ada', { personId: 'p-ada' });
    const adaOnB = await join(b, edit, mapId, 'Ada', { personId: 'p-ada' });
    bo.setCursor([0, 0]);
    adaOnA.setCursor([1, 1]);
    await waitFor('Bo to see Ada’s first tab', () => bo.peers.get('p-ada')?.cursor?.[0] === 1);
    adaOnB.setCursor([2, 2]);
    await waitFor('Bo to follow Ada’s latest tab', () => bo.peers.get('p-ada')?.cursor?.[0] === 2);
    expect([...bo.peers.keys()]).toEqual(['p-ada']);
    // Neither of Ada's tabs lists the other, nor offers to follow herself.
    await waitFor('Ada’s tabs to see Bo', () => adaOnA.peers.has('p-bo') && adaOnB.peers.has('p-bo'));
    expect([...adaOnA.peers.keys()]).toEqual(['p-bo']);
    expect([...adaOnB.peers.keys()]).toEqual(['p-bo']);
    await waitFor('one colour for both of Ada’s tabs', () => adaOnA.color === adaOnB.color);
    expect(bo.peers.get('p-ada')?.color).toBe(adaOnA.color);

    // One tab closes: Ada is still there (her other tab), then gone with the last one.
    adaOnB.close();
    await waitFor('Bo to see Ada’s remaining tab', () => bo.peers.get('p-ada')?.clientId === adaOnA.clientId);
    expect(bo.peers.has('p-ada')).toBe(true);
    adaOnA.close();
    await waitFor('Ada to leave', () => !bo.peers.has('p-ada'));
  });
});

describe('audience mode across nodes', () => {
  it('counts 200 viewers on two nodes in O(1) messages; they get every op, can follow, and are summoned', async () => {
    const { created, edit, view } = await newMap('Crowd');
    const mapId = created.map.id;
    const editor = await join(a, edit, mapId, 'Editor', { personId: 'p-editor' });
    editor.setCursor([5, 5]);
    const presenceFrames = countFrames(editor, 'presence');
    const audienceFrames = countFrames(editor, 'audience');
    const startedAt = Date.now();
    const viewers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => join(i % 2 === 0 ? a : b, view, mapId, `V${i}`)),
    );
    // An idle editor on B is counted too, until it moves its cursor.
    const idle = await join(b, edit, mapId, 'Idle', { personId: 'p-idle' });
    await waitFor('the editor to count 201 watching', () => editor.watching === 201, { timeoutMs: 20_000 });
    const elapsedMs = Date.now() - startedAt;
    expect(presenceFrames.count).toBe(0);
    // At most one count per second from the editor's node: never one message per viewer.
    expect(audienceFrames.count).toBeLessThanOrEqual(2 + Math.ceil(elapsedMs / 1000));
    expect(audienceFrames.count).toBeLessThan(20);
    expect(editor.peers.size).toBe(0);

    idle.setCursor([7, 7]);
    await waitFor('the idle editor to be listed, and no longer watching', () =>
      editor.peers.has('p-idle') && editor.watching === 200 ? true : null,
    );

    // Every viewer sees the active people (to follow them) and the count.
    await waitFor('viewers to see the editor and the count', () =>
      viewers.every((viewer) => viewer.peers.has('p-editor') && viewer.watching === 200),
    );
    const follower = viewers[1] as MeridianClient;
    follower.follow('p-editor');
    editor.setViewport({ bounds: [1, 1, 3, 3], zoom: 9, bearing: 0, pitch: 0 });
    await waitFor('the follower to get the editor’s viewport', () =>
      follower.peers.get('p-editor')?.viewport?.zoom === 9 ? true : null,
    );
    expect(follower.peers.has(follower.personId)).toBe(false);

    // Ops reach every viewer, in order.
    for (let i = 0; i < 3; i++) editor.createFeature(point(i, i));
    await waitForSeq([editor, ...viewers], 3, 20_000);

    const summoned = viewers.map(
      (viewer) => new Promise<string>((resolve) => viewer.on('summon', (from) => resolve(from))),
    );
    editor.summon({ bounds: [10, 10, 11, 11], zoom: 12, bearing: 0, pitch: 0 });
    expect(new Set(await Promise.all(summoned))).toEqual(new Set(['p-editor']));

    for (const viewer of viewers.slice(0, 100)) viewer.close();
    await waitFor('the count to drop to 100', () => editor.watching === 100, { timeoutMs: 20_000 });
  });
});
