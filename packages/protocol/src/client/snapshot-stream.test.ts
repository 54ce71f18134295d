import { beforeEach, describe, expect, it } from 'vitest';
import type { Feature } from '../geo.ts';
import type { ServerMessage } from '../messages/server.ts';
import { createMapState, stateHash } from '../state.ts';
import { PROTOCOL_VERSION } from '../version.ts';
import { MeridianClient } from './meridian-client.ts';
import { MapReplica, type SnapshotProgress } from './replica.ts';
import { lastSocket, ManualClock, ScriptedSocket, ScriptedWebSocket, settle } from './test-doubles.ts';

// A streamed snapshot (protocol v3): snapshotBegin, snapshotChunk × n, snapshotEnd.

const MAP = 'm1';
const feature = (id: string, lng = 0): Feature => ({
  type: 'Feature',
  id,
  geometry: { type: 'Point', coordinates: [lng, 1] },
  properties: { title: id },
  version: 1,
});
const features = Array.from({ length: 9 }, (_, i) => feature(`f${i}`, i));
const chunkOf = (seq: number, index: number): ServerMessage => ({
  type: 'snapshotChunk',
  mapId: MAP,
  seq,
  index,
  features: features.slice(index * 3, index * 3 + 3),
});
const begin = (seq: number): ServerMessage => ({
  type: 'snapshotBegin',
  mapId: MAP,
  seq,
  role: 'edit',
  map: { id: MAP, name: 'Big' },
  layers: [],
  featureCount: features.length,
});
const end = (seq: number, chunkCount = 3): ServerMessage => ({
  type: 'snapshotEnd',
  mapId: MAP,
  seq,
  chunkCount,
  presence: [],
});

describe('MapReplica, streamed snapshot', () => {
  it('fills the confirmed state chunk by chunk on a first join, then equals a one-message snapshot', () => {
    const replica = new MapReplica('me');
    expect(replica.beginSnapshot(5, 'Big', [], 9)).toBe('all');
    expect(replica.hasSnapshot).toBe(false);
    const first = replica.applySnapshotChunk(5, 0, features.slice(0, 3));
    expect(first).toEqual(new Set(['f0', 'f1', 'f2']));
    expect(replica.view.features.size).toBe(3);
    expect(replica.loading).toEqual({ seq: 5, loadedFeatures: 3, totalFeatures: 9 });
    replica.applySnapshotChunk(5, 1, features.slice(3, 6));
    replica.applySnapshotChunk(5, 2, features.slice(6));
    expect(replica.endSnapshot(5, 3)).toEqual(new Set());
    expect(replica.hasSnapshot).toBe(true);
    expect(replica.seq).toBe(5);
    expect(replica.loading).toBeNull();
    expect(stateHash(replica.confirmed)).toBe(stateHash(createMapState('Big', features)));
  });

  it('keeps the current state until the end when it already had one (a resume too old to replay)', () => {
    const replica = new MapReplica('me');
    replica.applySnapshot(2, 'Big', [feature('old')]);
    expect(replica.beginSnapshot(5, 'Big', [], 9)).toEqual(new Set());
    expect(replica.applySnapshotChunk(5, 0, features.slice(0, 3))).toEqual(new Set());
    expect([...replica.view.features.keys()]).toEqual(['old']);
    replica.applySnapshotChunk(5, 1, features.slice(3, 6));
    replica.applySnapshotChunk(5, 2, features.slice(6));
    expect(replica.endSnapshot(5, 3)).toBe('all');
    expect(replica.view.features.has('old')).toBe(false);
    expect(replica.view.features.size).toBe(9);
  });

  it('holds a record that arrives before the end and applies it right after', () => {
    const replica = new MapReplica('me');
    replica.beginSnapshot(5, 'Big', [], 3);
    const op = { kind: 'feature.delete' as const, id: 'f0' };
    expect(replica.receive({ seq: 6, opId: 'x', clientId: 'other', op, at: 1 })).toEqual({ kind: 'held' });
    expect(replica.receive({ seq: 5, opId: 'y', clientId: 'other', op, at: 1 })).toEqual({
      kind: 'duplicate',
    });
    replica.applySnapshotChunk(5, 0, features.slice(0, 3));
    expect(replica.endSnapshot(5, 1)).toEqual(new Set(['f0']));
    expect(replica.seq).toBe(6);
    expect([...replica.confirmed.features.keys()]).toEqual(['f1', 'f2']);
  });

  it('refuses a stream with a chunk missing, out of order or from another seq', () => {
    for (const broken of [
      (r: MapReplica) => r.applySnapshotChunk(5, 1, features.slice(3, 6)),
      (r: MapReplica) => r.applySnapshotChunk(4, 0, features.slice(0, 3)),
    ]) {
      const replica = new MapReplica('me');
      replica.beginSnapshot(5, 'Big', [], 6);
      expect(broken(replica)).toBeNull();
      replica.applySnapshotChunk(5, 0, features.slice(0, 3));
      replica.applySnapshotChunk(5, 1, features.slice(3, 6));
      expect(replica.endSnapshot(5, 2)).toBeNull();
      expect(replica.hasSnapshot).toBe(false);
    }
    const short = new MapReplica('me');
    short.beginSnapshot(5, 'Big', [], 9);
    short.applySnapshotChunk(5, 0, features.slice(0, 3));
    expect(short.endSnapshot(5, 1)).toBeNull();
  });
});

describe('MeridianClient, streamed snapshot', () => {
  let clock: ManualClock;
  beforeEach(() => {
    ScriptedSocket.all = [];
    clock = new ManualClock();
  });

  async function connected() {
    const client = new MeridianClient({
      url: 'ws://test/ws',
      mapId: MAP,
      clientId: 'c-test',
      token: 't',
      user: { name: 'A', color: '#000000' },
      WebSocket: ScriptedWebSocket,
      backoff: { initialMs: 1000, maxMs: 8000, factor: 2 },
      pingIntervalMs: 0,
      clock,
    });
    client.connect();
    await settle();
    const socket = lastSocket();
    socket.open();
    socket.receive({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      clientId: 'c-test',
      nodeId: 'n',
      serverTime: 0,
      maxFrameBytes: 65536,
      maxBulkFrameBytes: 1048576,
    });
    return { client, socket };
  }

  it('shows features and reports progress as chunks arrive, and is joined only at the end', async () => {
    const { client, socket } = await connected();
    expect(socket.sentOfType('hello')[0]?.v).toBe(PROTOCOL_VERSION);
    const progress: SnapshotProgress[] = [];
    const drawn: number[] = [];
    client.on('snapshotProgress', (p) => progress.push(p));
    client.on('featuresChanged', () => drawn.push(client.features.size));
    client.createFeature({ type: 'Point', coordinates: [9, 9] }, {}, 'mine');
    socket.receive(begin(5));
    socket.receive(chunkOf(5, 0));
    expect(client.status.kind).toBe('joining');
    expect(client.loading).toEqual({ seq: 5, loadedFeatures: 3, totalFeatures: 9 });
    // Nothing is sent while the map loads: the local edit waits for the join.
    expect(socket.sentOfType('op')).toEqual([]);
    socket.receive(chunkOf(5, 1));
    socket.receive(chunkOf(5, 2));
    socket.receive(end(5));
    expect(client.status.kind).toBe('joined');
    expect(client.loading).toBeNull();
    expect(progress.map((p) => p.loadedFeatures)).toEqual([0, 3, 6, 9]);
    // Each chunk is drawn (with the pending local feature on top) before the next arrives.
    expect(drawn).toEqual([1, 1, 4, 7, 10]);
    expect(client.seq).toBe(5);
    expect(socket.sentOfType('op')).toHaveLength(1);
  });

  it('drops a socket whose stream arrived incomplete, and asks for a whole snapshot again', async () => {
    const { client, socket } = await connected();
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    socket.receive(begin(5));
    socket.receive(chunkOf(5, 0));
    socket.receive(chunkOf(5, 2));
    socket.receive(end(5));
    expect(errors).toContain('SNAPSHOT_INCOMPLETE');
    expect(client.status.kind).toBe('backoff');
    expect(socket.readyState).toBe(3);
    clock.advance(8000);
    await settle();
    const again = lastSocket();
    expect(again).not.toBe(socket);
    again.open();
    again.receive({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      clientId: 'c-test',
      nodeId: 'n',
      serverTime: 0,
      maxFrameBytes: 65536,
      maxBulkFrameBytes: 1048576,
    });
    expect(again.sentOfType('join')).toEqual([{ type: 'join', mapId: MAP }]);
  });

  it('a socket lost mid-stream rejoins without lastSeq (the partial snapshot is not a base to resume from)', async () => {
    const { client, socket } = await connected();
    socket.receive(begin(5));
    socket.receive(chunkOf(5, 0));
    socket.drop(1006);
    expect(client.loading).toBeNull();
    clock.advance(8000);
    await settle();
    const again = lastSocket();
    again.open();
    again.receive({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      clientId: 'c-test',
      nodeId: 'n',
      serverTime: 0,
      maxFrameBytes: 65536,
      maxBulkFrameBytes: 1048576,
    });
    expect(again.sentOfType('join')).toEqual([{ type: 'join', mapId: MAP }]);
  });
});
