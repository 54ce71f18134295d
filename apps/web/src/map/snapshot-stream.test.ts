import type { ServerMessage } from '@meridian/protocol';
import { MeridianClient } from '@meridian/protocol/client';
import {
  lastSocket,
  ManualClock,
  ScriptedSocket,
  ScriptedWebSocket,
  settle,
} from '@meridian/protocol/client/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { watchSnapshotStream } from './snapshot-stream.ts';

// The real client, driven through a socket the test scripts: what it reports while a snapshot
// streams in, and while it is offline.

const MAP = 'm1';

const point = (id: string) => ({
  type: 'Feature' as const,
  id,
  geometry: { type: 'Point' as const, coordinates: [0, 1] as [number, number] },
  properties: {},
  version: 1,
});

async function joining() {
  const clock = new ManualClock();
  const client = new MeridianClient({
    url: 'ws://test/ws',
    mapId: MAP,
    clientId: 'c-test',
    token: 't',
    user: { name: 'Ada', color: '#000000' },
    WebSocket: ScriptedWebSocket,
    backoff: { initialMs: 1_000, maxMs: 8_000, factor: 2 },
    pingIntervalMs: 0,
    clock,
  });
  const seen: boolean[] = [];
  watchSnapshotStream(client, (streaming) => seen.push(streaming));
  client.connect();
  await settle();
  lastSocket().welcome();
  return { client, clock, seen };
}

const begin = (count: number): ServerMessage => ({
  type: 'snapshotBegin',
  mapId: MAP,
  seq: 5,
  role: 'edit',
  map: { id: MAP, name: 'Big' },
  layers: [],
  featureCount: count,
});
const chunk = (index: number): ServerMessage => ({
  type: 'snapshotChunk',
  mapId: MAP,
  seq: 5,
  index,
  features: [point(`f${index}`)],
});

describe('watchSnapshotStream', () => {
  afterEach(() => {
    ScriptedSocket.all = [];
  });

  it('holds from snapshotBegin to snapshotEnd, and only then', async () => {
    const { seen } = await joining();
    const socket = lastSocket();
    socket.receive(begin(2));
    socket.receive(chunk(0));
    expect(seen).toEqual([false, true]);
    socket.receive(chunk(1));
    socket.receive({ type: 'snapshotEnd', mapId: MAP, seq: 5, chunkCount: 2, presence: [] });
    expect(seen).toEqual([false, true, false]);
  });

  it('lets go when the connection is lost mid-stream', async () => {
    const { client, seen } = await joining();
    lastSocket().receive(begin(3));
    lastSocket().receive(chunk(0));
    lastSocket().close(1006);
    expect(client.status.kind).toBe('backoff');
    expect(seen).toEqual([false, true, false]);
  });

  it('never holds for a whole snapshot, a disconnect, the reconnects, or an edit made offline', async () => {
    const { client, clock, seen } = await joining();
    lastSocket().receive({
      type: 'snapshot',
      mapId: MAP,
      seq: 1,
      role: 'edit',
      map: { id: MAP, name: 'Picnic' },
      features: [point('meeting')],
      layers: [],
      presence: [],
    });
    expect(client.status.kind).toBe('joined');
    const states = new Set<string>();
    client.on('status', (state) => states.add(state.kind));
    lastSocket().close(1001, 'offline');
    // Offline: every attempt opens and is closed at once, as the e2e test's route does.
    for (let attempt = 0; attempt < 4; attempt++) {
      clock.advance(8_000);
      await settle();
      lastSocket().welcome();
      lastSocket().close(1001, 'offline');
    }
    client.moveFeature('meeting', { type: 'Point', coordinates: [2, 3] });
    expect(client.pendingCount).toBe(1);
    expect([...states]).toEqual(expect.arrayContaining(['backoff', 'connecting', 'joining']));
    expect(seen).toEqual([false]);
  });
});
