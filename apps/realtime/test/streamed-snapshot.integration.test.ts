import type { Socket } from 'node:net';
import { type Database, loadSnapshot, openDatabase } from '@meridian/db';
import {
  createMapState,
  type Feature,
  LIMITS,
  type OpRecord,
  PROTOCOL_VERSION,
  stateHash,
} from '@meridian/protocol';
import { MapReplica, type MeridianClient } from '@meridian/protocol/client';
import { mixedFeatures } from '@meridian/protocol/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createMemoryBus } from '../src/bus/memory-bus.ts';
import { createDataDir, createPostgresDatabase } from './databases.ts';
import { createMapVia, openClient, startNode, type TestNode, tokenVia } from './harness.ts';
import { RawSocket, type ServerFrame } from './raw-socket.ts';
import { waitFor } from './wait.ts';

// Joining a map bigger than one chunk (protocol v3): snapshotBegin, shared snapshotChunk frames
// sent as the socket drains (permessage-deflate here, as negotiated), snapshotEnd, then the ops.
// Real uWS sockets, the real client over `ws`, Postgres (seeding ~20 MB of features into embedded
// PGlite takes longer than its transaction timeout on a loaded 2-core machine).

const ADMIN_TOKEN = 'streamed-snapshot-admin-token';
const MAX_BACKPRESSURE_BYTES = 1024 * 1024;

let data: Awaited<ReturnType<typeof createDataDir>>;
let postgres: Awaited<ReturnType<typeof createPostgresDatabase>>;
let db: Database;
let node: TestNode;

beforeAll(async () => {
  data = await createDataDir();
  postgres = await createPostgresDatabase();
  db = await openDatabase({ databaseUrl: postgres.url });
  node = await startNode({
    db,
    bus: createMemoryBus(),
    dataDir: data.dir,
    env: {
      MERIDIAN_COMPRESSION: 'shared',
      MERIDIAN_ADMIN_TOKEN: ADMIN_TOKEN,
      MAX_BACKPRESSURE_BYTES: String(MAX_BACKPRESSURE_BYTES),
    },
  });
});

afterAll(async () => {
  await node?.stop();
  await db?.close();
  await postgres?.drop();
  await data?.remove();
});

/** A map holding `features`, imported straight into the database (1,000 per op, as the client would). */
async function mapWith(name: string, features: Feature[], perOp = 1000) {
  const created = await createMapVia(node.httpUrl, name);
  const mapId = created.map.id;
  const token = await tokenVia(node.httpUrl, mapId, created.editKey);
  const { commitOp } = await import('@meridian/db');
  for (let i = 0; i < features.length; i += perOp) {
    const result = await commitOp(db, {
      mapId,
      clientId: 'seed',
      opId: `seed-${i}`,
      op: { kind: 'features.import', features: features.slice(i, i + perOp) },
    });
    if (result.status !== 'committed') throw new Error(`seed: ${JSON.stringify(result)}`);
  }
  return { mapId, token };
}

async function serverHash(mapId: string): Promise<string> {
  const snapshot = await loadSnapshot(db, mapId);
  if (!snapshot) throw new Error('no map');
  return stateHash(createMapState(snapshot.map.name, snapshot.features, snapshot.layers));
}

/** The `ws` client without permessage-deflate: the chunks then travel as plain text frames. */
class PlainWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false });
  }
}

const streams = async () => (await node.server.metrics.snapshotStreams.get()).values[0]?.value ?? 0;

describe('streamed snapshot', () => {
  it('delivers every feature of a map bigger than one chunk exactly once, drawn before the end, equal to the server', async () => {
    const { mapId, token } = await mapWith('Five thousand', mixedFeatures(5000, { styled: true }));
    const expected = await serverHash(mapId);
    for (const [label, Ctor] of [
      ['deflate', WebSocket],
      ['plain', PlainWebSocket],
    ] as const) {
      const { MeridianClient } = await import('@meridian/protocol/client');
      const client: MeridianClient = new MeridianClient({
        url: node.wsUrl,
        token,
        mapId,
        user: { name: label, color: '#3366ff' },
        WebSocket: Ctor as unknown as ConstructorParameters<typeof MeridianClient>[0]['WebSocket'],
        pingIntervalMs: 0,
      });
      const chunkIds: string[] = [];
      let chunkFrames = 0;
      /** Features on the client's map the first time any were there, before the join completed. */
      let firstDrawn = 0;
      client.on('frame', (frame) => {
        if (frame.direction !== 'in' || frame.type !== 'snapshotChunk') return;
        chunkFrames++;
        const chunk = JSON.parse(frame.data) as { features: Feature[] };
        for (const feature of chunk.features) chunkIds.push(feature.id);
      });
      client.on('featuresChanged', () => {
        if (!client.joined && firstDrawn === 0) firstDrawn = client.features.size;
      });
      client.connect();
      await waitFor(`${label} client to join`, () => client.joined, { timeoutMs: 30_000 });
      expect(chunkFrames).toBeGreaterThan(10);
      expect(chunkIds).toHaveLength(5000);
      expect(new Set(chunkIds).size).toBe(5000);
      // The first chunk was on the map while the rest was still to come.
      expect(firstDrawn).toBeGreaterThan(0);
      expect(firstDrawn).toBeLessThan(500);
      expect(client.features.size).toBe(5000);
      expect(stateHash(client.replica.confirmed)).toBe(expected);
      client.close();
    }
  }, 60_000);

  it('a socket that stops reading gets everything once it reads again, with the ops committed meanwhile after the snapshot, in order; the node holds at most half its backpressure limit for it', async () => {
    // ~15 KB of properties per point: 1,200 of them are ~18 MB, far more than loopback's socket
    // buffers hold, so most of the stream is still to send when the edits below commit.
    const fat = Array.from(
      { length: 1200 },
      (_, i): Feature => ({
        type: 'Feature',
        id: `note${i}`,
        geometry: { type: 'Point', coordinates: [(i % 340) - 170 + 0.123456, (i % 160) - 80 + 0.654321] },
        properties: { title: `Note ${i}`, description: `${i} `.padEnd(4900, 'x'), notes: 'y'.repeat(10_000) },
        version: 0,
      }),
    );
    const { mapId, token } = await mapWith('Big notes', fat, 100);
    const editor = await openClient(node.wsUrl, { token, mapId, name: 'Editor' });
    // Without permessage-deflate: these repetitive properties would otherwise shrink to almost nothing.
    const slow = await RawSocket.open(`${node.wsUrl}?token=${token}`, { perMessageDeflate: false });
    slow.send({
      type: 'hello',
      v: PROTOCOL_VERSION,
      clientId: 'slow-joiner',
      name: 'Slow',
      color: '#112233',
    });
    await slow.next('welcome');
    const tcp = (slow.ws as unknown as { _socket: Socket })._socket;
    tcp.pause();
    slow.send({ type: 'join', mapId });

    const row = async () => {
      const res = await fetch(`${node.httpUrl}/admin/connections`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const body = (await res.json()) as {
        connections: { clientId: string | null; bufferedBytes: number }[];
      };
      return body.connections.find((c) => c.clientId === 'slow-joiner');
    };
    await waitFor('the stream to fill the socket', async () =>
      (await streams()) === 1 && ((await row())?.bufferedBytes ?? 0) > 0 ? true : null,
    );

    // Committed while the snapshot is still streaming to the stalled socket.
    for (let i = 0; i < 5; i++) editor.renameMap(`Renamed ${i}`);
    const ops = 5;
    await waitFor('the edits to be acked', () => editor.pendingCount === 0);
    expect(await streams()).toBe(1);
    const buffered = (await row())?.bufferedBytes ?? 0;
    expect(buffered).toBeGreaterThan(0);
    expect(buffered).toBeLessThanOrEqual(MAX_BACKPRESSURE_BYTES / 2);

    tcp.resume();
    await slow.next('snapshotEnd', () => true, 30_000);
    await waitFor('the ops after the snapshot', () => (slow.count('op') === ops ? true : null), {
      timeoutMs: 30_000,
    });
    expect(slow.isOpen).toBe(true);

    const about = slow.frames.filter((f) => f.type.startsWith('snapshot') || f.type === 'op');
    const begin = about[0] as ServerFrame & { seq: number; featureCount: number };
    expect(begin).toMatchObject({ type: 'snapshotBegin', featureCount: 1200 });
    const chunks = about.filter((f) => f.type === 'snapshotChunk') as (ServerFrame & {
      index: number;
      seq: number;
      features: Feature[];
    })[];
    const end = about.find((f) => f.type === 'snapshotEnd') as ServerFrame & { chunkCount: number };
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    expect(end.chunkCount).toBe(chunks.length);
    expect(about.map((f) => f.type)).toEqual([
      'snapshotBegin',
      ...chunks.map(() => 'snapshotChunk'),
      'snapshotEnd',
      ...Array.from({ length: ops }, () => 'op'),
    ]);
    const seqs = about.filter((f) => f.type === 'op').map((f) => (f.record as OpRecord).seq);
    expect(seqs).toEqual(Array.from({ length: ops }, (_, i) => begin.seq + 1 + i));

    // Applied as the client does, the result is the server's map.
    const replica = new MapReplica('slow-joiner');
    replica.beginSnapshot(begin.seq, (begin.map as { name: string }).name, [], begin.featureCount);
    for (const chunk of chunks)
      expect(replica.applySnapshotChunk(chunk.seq, chunk.index, chunk.features)).not.toBeNull();
    expect(replica.endSnapshot(begin.seq, end.chunkCount)).not.toBeNull();
    for (const frame of about.filter((f) => f.type === 'op')) replica.receive(frame.record as OpRecord);
    expect(stateHash(replica.confirmed)).toBe(await serverHash(mapId));
    expect(chunks.length).toBeGreaterThan((16 * 1024 * 1024) / (LIMITS.SNAPSHOT_CHUNK_BYTES * 2));
    editor.close();
    slow.close();
  }, 120_000);
});
