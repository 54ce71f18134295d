import { type Feature, type LayerStatus, stateHash } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClusterNode,
  createMapVia,
  openClient,
  startTestCluster,
  type TestCluster,
  tokenVia,
  waitForSeq,
} from './harness.ts';
import { RawSocket } from './raw-socket.ts';
import { waitFor } from './wait.ts';

// Two nodes sharing the machine's Redis (a channel prefix of their own) and a fresh Postgres
// database: A plays the node that holds a feed, B only has clients on the map.
let cluster: TestCluster;
let a: ClusterNode;
let b: ClusterNode;
const clients: MeridianClient[] = [];

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 2, name: 'meridian-layers', feedLocksInRedis: true });
  [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
});

afterAll(async () => {
  for (const client of clients) client.close();
  await cluster?.stop();
});

async function join(node: ClusterNode, token: string, mapId: string, name: string): Promise<MeridianClient> {
  const client = await openClient(node.wsUrl, { token, mapId, name });
  clients.push(client);
  return client;
}

function entry(id: string, lng: number): Feature {
  return {
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [lng, 5] },
    properties: {},
    version: 0,
  };
}

function status(layerId: string, detail: string): LayerStatus {
  return { layerId, state: 'live', mode: 'websub', detail, badSignatures: 0, entries: 1, at: Date.now() };
}

describe('live-feed layers across nodes', () => {
  it('feed entries and statuses from the holding node reach clients on another node, late joiners included', async () => {
    const created = await createMapVia(a.httpUrl, 'Layers on two nodes');
    const mapId = created.map.id;
    const token = await tokenVia(a.httpUrl, mapId, created.editKey);
    const onA = await join(a, token, mapId, 'On A');
    // Loopback is refused by the default fetch policy: A's feed manager (the feed's holder, as the
    // map opened there first) reports that at once and then backs off; the test speaks for A after.
    onA.addLayer('http://127.0.0.1:9/quakes.atom', 'Earthquakes', 'quakes');
    await waitForSeq([onA], 1);
    await waitFor('the feed manager on A to report', () =>
      onA.layerStatuses.get('quakes')?.state === 'error' ? true : null,
    );
    a.server.feedHost.publishLayerStatus(mapId, status('quakes', 'pending'));
    await waitFor('A’s status on A', () =>
      onA.layerStatuses.get('quakes')?.detail === 'pending' ? true : null,
    );

    // B opens the map after A published: it asks its peers, and A answers with its statuses.
    const onB = await join(b, token, mapId, 'On B');
    await waitFor('the status A published before B opened the map', () =>
      onB.layerStatuses.get('quakes')?.detail === 'pending' ? true : null,
    );

    const result = await a.server.feedHost.commitServerOp(mapId, 'feed-1', {
      kind: 'layer.entries',
      layerId: 'quakes',
      features: [entry('q-1', 1), entry('q-2', 2)],
    });
    expect(result.status).toBe('committed');
    a.server.feedHost.publishLayerStatus(mapId, status('quakes', 'live (WebSub via hub.example)'));
    await waitForSeq([onA, onB], 2);
    expect(onB.features.get('q-2')?.properties.layer).toBe('quakes');
    await waitFor('the live status on B', () =>
      onB.layerStatuses.get('quakes')?.detail.startsWith('live') ? true : null,
    );

    // A second client on B gets B's cached status right after its snapshot.
    const late = await RawSocket.open(`${b.wsUrl}?token=${token}`);
    const snapshot = await late.joinMap(mapId, 'late-on-b');
    expect((snapshot.features as Feature[]).map((f) => f.id).sort()).toEqual(['q-1', 'q-2']);
    expect(await late.next('layerStatus')).toMatchObject({
      layerId: 'quakes',
      detail: 'live (WebSub via hub.example)',
    });

    // Removing the layer on B takes its features off both nodes and B forgets its status.
    onB.removeLayer('quakes');
    await waitForSeq([onA, onB], 3);
    expect(onA.features.size).toBe(0);
    expect(onA.layers.size).toBe(0);
    expect(stateHash(onA.replica.confirmed)).toBe(stateHash(onB.replica.confirmed));
    const after = await RawSocket.open(`${b.wsUrl}?token=${token}`);
    await after.joinMap(mapId, 'after-remove');
    // A sync round trip after the join: anything sent right after the snapshot has arrived by then.
    after.send({ type: 'sync', mapId, fromSeq: 3, toSeq: 3 });
    await after.next('replay', (f) => f.fromSeq === 3);
    expect(after.count('layerStatus')).toBe(0);
    late.close();
    after.close();
  });
});
