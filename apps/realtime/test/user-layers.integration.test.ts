import { loadSnapshot } from '@meridian/db';
import { createMapState, ErrorCode, stateHash } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClusterNode,
  createMapVia,
  openClient,
  point,
  startTestCluster,
  tokenVia,
  waitForSeq,
} from './harness.ts';
import { waitFor } from './wait.ts';

// User layers between two people on two nodes (Postgres, Redis): layers made, renamed, restyled,
// reordered and deleted live; features moved between layers; feed layers keep their entries.

const cleanups: (() => Promise<unknown> | unknown)[] = [];
let nodes: ClusterNode[] = [];

beforeAll(async () => {
  const cluster = await startTestCluster({ nodes: 2, name: 'user-layers' });
  cleanups.push(() => cluster.stop());
  nodes = cluster.nodes;
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  nodes = [];
});

function refusals(client: MeridianClient): Map<string, string> {
  const seen = new Map<string, string>();
  client.on('opRejected', (event) => seen.set(event.opId, event.code));
  return seen;
}

describe('user layers across two nodes', () => {
  it('two people create, move into, restyle, reorder and delete a layer; feed layers stay the feed’s', async () => {
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const created = await createMapVia(a.httpUrl, 'Layers together');
    const mapId = created.map.id;
    const ana = await openClient(a.wsUrl, {
      token: await tokenVia(a.httpUrl, mapId, created.editKey),
      mapId,
      name: 'Ana',
    });
    const ben = await openClient(b.wsUrl, {
      token: await tokenVia(b.httpUrl, mapId, created.editKey),
      mapId,
      name: 'Ben',
    });
    cleanups.push(
      () => ana.close(),
      () => ben.close(),
    );
    const anaRefused = refusals(ana);
    const benRefused = refusals(ben);

    const stops = ana.addUserLayer('Stops', { order: 1 });
    const food = ben.addUserLayer('Food', { order: 2 });
    const cafe = ana.createFeature(point(4.83, 45.76), { title: 'Café' });
    await waitForSeq([ana, ben], 3);
    expect(ben.layers.get(stops)).toEqual({ id: stops, kind: 'user', name: 'Stops', order: 1, style: {} });

    // Ana moves the café into Stops; Ben renames, restyles and moves Stops above Food.
    ana.setFeatureLayer(cafe, stops);
    await waitForSeq([ana, ben], 4);
    expect(ben.features.get(cafe)?.properties.layer).toBe(stops);
    ben.updateLayer(stops, { name: 'Halts', style: { 'marker-color': '#e4572e' }, order: 3 });
    await waitForSeq([ana, ben], 5);
    expect(ana.layers.get(stops)).toEqual({
      id: stops,
      kind: 'user',
      name: 'Halts',
      order: 3,
      style: { 'marker-color': '#e4572e' },
    });
    // Between layers, then back.
    ben.setFeatureLayer(cafe, food);
    await waitForSeq([ana, ben], 6);
    expect(ana.features.get(cafe)?.properties.layer).toBe(food);
    ana.setFeatureLayer(cafe, stops);
    await waitForSeq([ana, ben], 7);

    // A live-feed layer with one entry (committed by the server, as a feed delivery would be).
    const quakes = ana.addLayer('http://127.0.0.1:9/quakes.atom', 'Quakes', 'quakes');
    await waitForSeq([ana, ben], 8);
    const committed = await a.server.feedHost.commitServerOp(mapId, 'feed-1', {
      kind: 'layer.entries',
      layerId: quakes,
      features: [
        { type: 'Feature', id: 'q-1', geometry: point(10, 10), properties: { title: 'M5' }, version: 0 },
      ],
    });
    expect(committed).toMatchObject({ status: 'committed', record: { seq: 9 } });
    await waitForSeq([ana, ben], 9);

    const intoFeed = ana.setFeatureLayer(cafe, quakes);
    const outOfFeed = ben.setFeatureLayer('q-1', stops);
    const createdInFeed = ana.submit({
      kind: 'feature.create',
      feature: {
        type: 'Feature',
        id: 'in-feed',
        geometry: point(1, 1),
        properties: { layer: quakes },
        version: 0,
      },
    });
    const renameFeed = ben.updateLayer(quakes, { name: 'Mine now' });
    await waitFor('the refusals', () => (anaRefused.size >= 2 && benRefused.size >= 2 ? true : null));
    expect(anaRefused.get(intoFeed)).toBe(ErrorCode.FORBIDDEN);
    expect(anaRefused.get(createdInFeed)).toBe(ErrorCode.FORBIDDEN);
    expect(benRefused.get(outOfFeed)).toBe(ErrorCode.FORBIDDEN);
    expect(benRefused.get(renameFeed)).toBe(ErrorCode.INVALID_OP);
    expect(ana.features.get(cafe)?.properties.layer).toBe(stops);
    expect(ben.features.get('q-1')?.properties.layer).toBe(quakes);

    // Deleting a user layer removes its features for everyone; the feed layer is untouched.
    ben.removeLayer(stops);
    await waitForSeq([ana, ben], 10);
    expect(ana.layers.has(stops)).toBe(false);
    expect(ana.features.has(cafe)).toBe(false);
    expect([...ana.layers.keys()].sort()).toEqual([food, quakes].sort());

    const snapshot = await loadSnapshot(a.db, mapId);
    const stored = createMapState(snapshot?.map.name ?? '', snapshot?.features, snapshot?.layers);
    expect(stateHash(ana.replica.confirmed)).toBe(stateHash(stored));
    expect(stateHash(ben.replica.confirmed)).toBe(stateHash(stored));
  });
});
