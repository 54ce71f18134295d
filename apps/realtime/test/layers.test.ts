import {
  ErrorCode,
  type Feature,
  type LayerStatus,
  type Op,
  type OpRecord,
  stateHash,
} from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CreatedMap,
  createMapVia,
  type EmbeddedNode,
  openClient,
  startEmbeddedNode,
  tokenVia,
  waitForSeq,
} from './harness.ts';
import { RawSocket } from './raw-socket.ts';
import { waitFor } from './wait.ts';

// Live-feed layers on one node (embedded PGlite, in-process bus): layer ops from browsers, feed
// entries and statuses from the server's FeedHost.
let node: EmbeddedNode;
const clients: MeridianClient[] = [];

beforeAll(async () => {
  node = await startEmbeddedNode();
});

afterAll(async () => {
  for (const client of clients) client.close();
  await node?.stop();
});

async function newMap(name: string): Promise<{ created: CreatedMap; edit: string; view: string }> {
  const created = await createMapVia(node.httpUrl, name);
  return {
    created,
    edit: await tokenVia(node.httpUrl, created.map.id, created.editKey),
    view: await tokenVia(node.httpUrl, created.map.id, created.viewKey),
  };
}

async function join(token: string, mapId: string, name: string): Promise<MeridianClient> {
  const client = await openClient(node.wsUrl, { token, mapId, name });
  clients.push(client);
  return client;
}

function rejects(client: MeridianClient): { opId: string; code: string }[] {
  const seen: { opId: string; code: string }[] = [];
  client.on('opRejected', (event) => seen.push({ opId: event.opId, code: event.code }));
  return seen;
}

function entry(id: string, lng: number, title = id): Feature {
  return {
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [lng, 20] },
    properties: { title },
    version: 0,
  };
}

// The node's feed manager follows every layer of an open map. Loopback is refused by the default
// fetch policy, so it fails at once (no DNS, no network) and reports that once, then backs off for
// the poll interval; these tests drive FeedHost themselves.
const FEED_URL = 'http://127.0.0.1:9/quakes.atom';
const RAIN_URL = 'http://127.0.0.1:9/rain.json';

/** The feed manager's own first word on a layer (its refusal of the loopback URL). */
function managerReported(client: MeridianClient, layerId: string): Promise<true> {
  return waitFor(`the feed manager's status of ${layerId}`, () =>
    client.layerStatuses.get(layerId)?.state === 'error' ? true : null,
  );
}

function status(layerId: string, detail: string): LayerStatus {
  return { layerId, state: 'live', mode: 'websub', detail, badSignatures: 0, entries: 0, at: Date.now() };
}

describe('live-feed layers on one node', () => {
  it('a layer an editor adds reaches the others live and is in a late joiner’s snapshot', async () => {
    const { created, edit } = await newMap('Layers live');
    const mapId = created.map.id;
    const alice = await join(edit, mapId, 'Alice');
    const bob = await join(edit, mapId, 'Bob');
    const layerId = alice.addLayer(FEED_URL, 'Earthquakes', 'quakes');
    await waitForSeq([alice, bob], 1);
    expect([...bob.layers.values()]).toEqual([
      { id: layerId, kind: 'feed', url: FEED_URL, name: 'Earthquakes' },
    ]);

    const carol = await join(edit, mapId, 'Carol');
    expect([...carol.layers.keys()]).toEqual(['quakes']);
    expect(stateHash(carol.replica.confirmed)).toBe(stateHash(alice.replica.confirmed));
  });

  it('refuses a feed URL with credentials with a typed error; nothing of it reaches a viewer', async () => {
    const { created, edit, view } = await newMap('Layers secret');
    const mapId = created.map.id;
    const editor = await RawSocket.open(`${node.wsUrl}?token=${edit}`);
    await editor.joinMap(mapId, 'editor');
    const viewer = await RawSocket.open(`${node.wsUrl}?token=${view}`);
    await viewer.joinMap(mapId, 'viewer');
    editor.send({
      type: 'op',
      mapId,
      opId: 'o-secret',
      op: {
        kind: 'layer.add',
        layer: { id: 'private', url: 'http://user:s3cr3t@127.0.0.1:9/feed.atom', name: 'P' },
      },
    });
    const error = await editor.next('error');
    expect(error.code).toBe(ErrorCode.INVALID_MESSAGE);
    expect(String(error.message)).toMatch(/credentials/);
    // A public layer after it: the only layer a viewer ever learns of, with exactly its public fields.
    editor.send({
      type: 'op',
      mapId,
      opId: 'o-public',
      op: { kind: 'layer.add', layer: { id: 'public', url: FEED_URL, name: 'Public' } },
    });
    await editor.next('ack', (f) => f.opId === 'o-public');
    await viewer.next('op', (f) => (f.record as OpRecord).opId === 'o-public');
    const late = await RawSocket.open(`${node.wsUrl}?token=${view}`);
    const snapshot = await late.joinMap(mapId, 'late-viewer');
    expect(snapshot.layers).toEqual([{ id: 'public', kind: 'feed', url: FEED_URL, name: 'Public' }]);
    await late.next('layerStatus', (f) => f.layerId === 'public');
    for (const socket of [viewer, late]) {
      expect(JSON.stringify(socket.frames)).not.toContain('s3cr3t');
      expect(JSON.stringify(socket.frames)).not.toContain('private');
    }
    for (const socket of [editor, viewer, late]) socket.close();
  });

  it('refuses layer ops from a view link, and feed entries from any browser, with FORBIDDEN', async () => {
    const { created, edit, view } = await newMap('Layers refused');
    const mapId = created.map.id;
    const editor = await join(edit, mapId, 'Editor');
    const viewer = await join(view, mapId, 'Viewer');
    editor.addLayer(FEED_URL, 'Earthquakes', 'quakes');
    await waitForSeq([editor, viewer], 1);

    const viewerRejects = rejects(viewer);
    const add = viewer.addLayer(FEED_URL, 'Mine', 'mine');
    const remove = viewer.removeLayer('quakes');
    await waitFor('the viewer’s rejects', () => viewerRejects.length === 2);
    expect(viewerRejects).toEqual([
      { opId: expect.any(String), code: ErrorCode.FORBIDDEN },
      { opId: expect.any(String), code: ErrorCode.FORBIDDEN },
    ]);
    expect(add).toBe('mine');
    expect(viewerRejects[1]?.opId).toBe(remove);

    const editorRejects = rejects(editor);
    const entries = editor.submit({ kind: 'layer.entries', layerId: 'quakes', features: [entry('q-1', 1)] });
    await waitFor('the editor’s reject', () => editorRejects.length === 1);
    expect(editorRejects).toEqual([{ opId: entries, code: ErrorCode.FORBIDDEN }]);

    // The server's view is unchanged: one layer, no features, seq 1.
    const late = await join(edit, mapId, 'Late');
    expect(late.seq).toBe(1);
    expect([...late.layers.keys()]).toEqual(['quakes']);
    expect(late.features.size).toBe(0);
  });

  it('refuses any op from a browser that calls itself feed (the server’s client id)', async () => {
    const { created, edit } = await newMap('Feed id');
    const socket = await RawSocket.open(`${node.wsUrl}?token=${edit}`);
    await socket.joinMap(created.map.id, 'feed');
    socket.send({
      type: 'op',
      mapId: created.map.id,
      opId: 'o-1',
      op: { kind: 'map.rename', name: 'Hijacked' },
    });
    expect(await socket.next('reject')).toMatchObject({ opId: 'o-1', code: ErrorCode.FORBIDDEN });
    socket.close();
  });

  it('commitServerOp: feed entries reach every client and a late joiner, idempotently', async () => {
    const { created, edit } = await newMap('Feed entries');
    const mapId = created.map.id;
    const alice = await join(edit, mapId, 'Alice');
    const bob = await join(edit, mapId, 'Bob');
    alice.addLayer(FEED_URL, 'Earthquakes', 'quakes');
    alice.createFeature({ type: 'Point', coordinates: [0, 0] }, { title: 'mine' });
    await waitForSeq([alice, bob], 2);

    const host = node.server.feedHost;
    expect(await host.listLayers(mapId)).toEqual([
      { id: 'quakes', kind: 'feed', url: FEED_URL, name: 'Earthquakes' },
    ]);
    const op: Op = { kind: 'layer.entries', layerId: 'quakes', features: [entry('q-1', 1), entry('q-2', 2)] };
    const first = await host.commitServerOp(mapId, 'feed-q-batch-1', op);
    expect(first).toMatchObject({ status: 'committed', record: { seq: 3, clientId: 'feed' } });
    await waitForSeq([alice, bob], 3);
    expect(bob.features.get('q-1')).toMatchObject({
      version: 1,
      properties: { title: 'q-1', layer: 'quakes' },
    });

    // The same batch again (a hub redelivery) is a duplicate: nothing changes, no new seq.
    expect(await host.commitServerOp(mapId, 'feed-q-batch-1', op)).toEqual({
      status: 'duplicate',
      record: first.status === 'committed' ? first.record : null,
    });
    // An updated entry replaces the feature whole.
    await host.commitServerOp(mapId, 'feed-q-batch-2', {
      kind: 'layer.entries',
      layerId: 'quakes',
      features: [entry('q-1', 5, 'stronger')],
    });
    expect(
      await host.commitServerOp(mapId, 'feed-nope-1', {
        kind: 'layer.entries',
        layerId: 'nope',
        features: [entry('x', 1)],
      }),
    ).toMatchObject({ status: 'rejected', code: ErrorCode.LAYER_NOT_FOUND });
    await waitForSeq([alice, bob], 4);
    expect(alice.features.get('q-1')).toMatchObject({ version: 2, properties: { title: 'stronger' } });

    const carol = await join(edit, mapId, 'Carol');
    expect(carol.seq).toBe(4);
    expect(stateHash(carol.replica.confirmed)).toBe(stateHash(alice.replica.confirmed));
    expect(stateHash(bob.replica.confirmed)).toBe(stateHash(alice.replica.confirmed));
  });

  it('tells the feed manager when a room opens, what it applies, and when it closes', async () => {
    const { created, edit } = await newMap('Room events');
    const mapId = created.map.id;
    const host = node.server.feedHost;
    const events: string[] = [];
    const records: OpRecord[] = [];
    const stops = [
      host.onRoomOpened((id) => id === mapId && events.push('opened')),
      host.onRoomClosed((id) => id === mapId && events.push('closed')),
      host.onRecord((id, record) => id === mapId && records.push(record)),
      // A listener that throws must not break the room or the other listeners.
      host.onRecord(() => {
        throw new Error('a broken listener');
      }),
    ];
    const alice = await join(edit, mapId, 'Alice');
    const bob = await join(edit, mapId, 'Bob');
    await waitFor('the opened event', () => events.includes('opened'));
    alice.addLayer(FEED_URL, 'Earthquakes', 'quakes');
    await waitForSeq([alice, bob], 1);
    await host.commitServerOp(mapId, 'feed-1', {
      kind: 'layer.entries',
      layerId: 'quakes',
      features: [entry('q', 1)],
    });
    await waitForSeq([alice, bob], 2);
    expect(records.map((r) => [r.seq, r.op.kind, r.clientId])).toEqual([
      [1, 'layer.add', alice.clientId],
      [2, 'layer.entries', 'feed'],
    ]);
    alice.close();
    expect(events).toEqual(['opened']);
    bob.close();
    await waitFor('the closed event', () => events.includes('closed'));
    expect(events).toEqual(['opened', 'closed']);
    for (const stop of stops) stop();
  });

  it('sends layer statuses live and right after a joiner’s snapshot; layer.remove clears features and status', async () => {
    const { created, edit } = await newMap('Statuses');
    const mapId = created.map.id;
    const alice = await join(edit, mapId, 'Alice');
    alice.addLayer(FEED_URL, 'Earthquakes', 'quakes');
    alice.addLayer(RAIN_URL, 'Rain', 'rain');
    await waitForSeq([alice], 2);
    await managerReported(alice, 'quakes');
    await managerReported(alice, 'rain');
    const host = node.server.feedHost;
    await host.commitServerOp(mapId, 'feed-q', {
      kind: 'layer.entries',
      layerId: 'quakes',
      features: [entry('q-1', 1)],
    });
    await host.commitServerOp(mapId, 'feed-r', {
      kind: 'layer.entries',
      layerId: 'rain',
      features: [entry('r-1', 2)],
    });
    host.publishLayerStatus(mapId, status('quakes', 'pending'));
    host.publishLayerStatus(mapId, status('quakes', 'live (WebSub via hub.example)'));
    host.publishLayerStatus(mapId, {
      ...status('rain', 'polling every 60 s (no hub)'),
      state: 'polling',
      mode: 'poll',
    });
    await waitFor('the statuses at Alice', () => alice.layerStatuses.get('rain')?.state === 'polling');
    expect(alice.layerStatuses.get('quakes')?.detail).toBe('live (WebSub via hub.example)');

    // A joiner gets the latest status of each layer right after its snapshot.
    const socket = await RawSocket.open(`${node.wsUrl}?token=${edit}`);
    await socket.joinMap(mapId, 'raw-status');
    await waitFor('two statuses', () => socket.count('layerStatus') === 2);
    const types = socket.frames.map((f) => f.type);
    const at = types.indexOf('snapshot');
    expect(types.slice(at, at + 3)).toEqual(['snapshot', 'layerStatus', 'layerStatus']);
    expect(socket.frames.filter((f) => f.type === 'layerStatus').map((f) => [f.layerId, f.detail])).toEqual([
      ['quakes', 'live (WebSub via hub.example)'],
      ['rain', 'polling every 60 s (no hub)'],
    ]);
    // A resume gets the layer ops it missed in its replay, then the statuses the same way.
    const resumed = await RawSocket.open(`${node.wsUrl}?token=${edit}`);
    const replay = await resumed.joinMap(mapId, 'raw-resume', { lastSeq: 1 });
    expect(replay).toMatchObject({ type: 'replay', fromSeq: 2, toSeq: 4 });
    expect((replay.ops as OpRecord[]).map((r) => r.op.kind)).toEqual([
      'layer.add',
      'layer.entries',
      'layer.entries',
    ]);
    await waitFor('two statuses after the replay', () => resumed.count('layerStatus') === 2);
    const resumedTypes = resumed.frames.map((f) => f.type);
    const replayAt = resumedTypes.indexOf('replay');
    expect(resumedTypes.slice(replayAt, replayAt + 3)).toEqual(['replay', 'layerStatus', 'layerStatus']);
    resumed.close();

    // A status too long for the wire is cut, not refused.
    host.publishLayerStatus(mapId, status('rain', 'x'.repeat(2000)));
    await waitFor('the long status', () => alice.layerStatuses.get('rain')?.detail.length === 500);

    alice.removeLayer('quakes');
    await waitForSeq([alice], 5);
    expect([...alice.features.keys()]).toEqual(['r-1']);
    expect([...alice.layers.keys()]).toEqual(['rain']);
    const late = await RawSocket.open(`${node.wsUrl}?token=${edit}`);
    const snapshot = await late.joinMap(mapId, 'raw-late');
    expect((snapshot.features as Feature[]).map((f) => f.id)).toEqual(['r-1']);
    await waitFor('the rain status', () => late.count('layerStatus') === 1);
    expect(late.frames.filter((f) => f.type === 'layerStatus').map((f) => f.layerId)).toEqual(['rain']);
    socket.close();
    late.close();
  });
});
