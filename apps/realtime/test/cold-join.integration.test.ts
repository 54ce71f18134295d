import type { Socket } from 'node:net';
import { commitOp, type Database, loadSnapshot, openDatabase, type ScriptTransaction } from '@meridian/db';
import {
  createMapState,
  ErrorCode,
  type Feature,
  type OpRecord,
  PROTOCOL_VERSION,
  stateHash,
} from '@meridian/protocol';
import { MapReplica } from '@meridian/protocol/client';
import { mixedFeatures } from '@meridian/protocol/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../src/bus/memory-bus.ts';
import { createDataDir, createEmbeddedDataDir, createPostgresDatabase } from './databases.ts';
import { createMapVia, openClient, startNode, type TestNode, tokenVia } from './harness.ts';
import { RawSocket, type ServerFrame } from './raw-socket.ts';
import { waitFor } from './wait.ts';

// A cold join (nobody on the map: the node opens the room and reads the snapshot) of a map of many
// pages (issue #11): the snapshot is read page by page in one transaction and streamed as the pages
// arrive. Real uWS sockets, real Postgres and embedded PGlite. The node's database is the real one
// with its script transactions watched, so a test can act when the first page has been read.

/** Watches the node's reads: `onFetch(n)` runs after the n-th page (FETCH) of a read came back. */
interface ReadWatch {
  onFetch: ((page: number, tx: ScriptTransaction) => Promise<void> | void) | null;
}

function watched(db: Database, watch: ReadWatch): Database {
  return {
    ...db,
    scriptTransaction: (work) =>
      db.scriptTransaction((tx) => {
        let pages = 0;
        return work({
          exec: (script) => tx.exec(script),
          async query<Row>(sql: string, params?: unknown[]) {
            const rows = await tx.query<Row>(sql, params);
            if (sql.startsWith('FETCH')) await watch.onFetch?.(++pages, tx);
            return rows;
          },
        });
      }),
  };
}

const BACKENDS = [
  {
    kind: 'postgres' as const,
    async open() {
      const postgres = await createPostgresDatabase();
      const db = await openDatabase({ databaseUrl: postgres.url });
      return { db, drop: () => postgres.drop() };
    },
  },
  {
    kind: 'pglite' as const,
    async open() {
      const folder = await createEmbeddedDataDir();
      const db = await openDatabase({ dataDir: folder.dir });
      return { db, drop: () => folder.remove() };
    },
  },
];

/** 4,000 features of ~500 bytes: pages of 256, 512, 1,024, 2,048 and the rest, ~30 chunks. */
const FEATURES = 4000;

describe.each(BACKENDS)('cold join of a many-page map on $kind', ({ kind, open }) => {
  let db: Database;
  let drop: () => Promise<void>;
  let data: Awaited<ReturnType<typeof createDataDir>>;
  let node: TestNode;
  const watch: ReadWatch = { onFetch: null };

  beforeAll(async () => {
    ({ db, drop } = await open());
    data = await createDataDir();
    node = await startNode({ db: watched(db, watch), bus: createMemoryBus(), dataDir: data.dir });
  });

  afterAll(async () => {
    await node?.stop();
    await db?.close();
    await drop?.();
    await data?.remove();
  });

  async function mapWith(name: string, features: Feature[]) {
    const created = await createMapVia(node.httpUrl, name);
    const mapId = created.map.id;
    for (let i = 0; i < features.length; i += 500) {
      const result = await commitOp(db, {
        mapId,
        clientId: 'seed',
        opId: `seed-${i}`,
        op: { kind: 'features.import', features: features.slice(i, i + 500) },
      });
      if (result.status !== 'committed') throw new Error(`seed: ${JSON.stringify(result)}`);
    }
    return { mapId, token: await tokenVia(node.httpUrl, mapId, created.editKey) };
  }

  async function serverHash(mapId: string): Promise<string> {
    const snapshot = await loadSnapshot(db, mapId);
    if (!snapshot) throw new Error('no map');
    return stateHash(createMapState(snapshot.map.name, snapshot.features, snapshot.layers));
  }

  async function openJoiner(token: string, clientId: string): Promise<RawSocket> {
    const socket = await RawSocket.open(`${node.wsUrl}?token=${token}`, { perMessageDeflate: false });
    socket.send({ type: 'hello', v: PROTOCOL_VERSION, clientId, name: clientId, color: '#112233' });
    await socket.next('welcome');
    return socket;
  }

  /** The joiner's snapshot frames and the ops after them, checked for order; its replica's hash. */
  function replayed(socket: RawSocket): { seq: number; ops: number[]; hash: string; chunkCount: number } {
    const about = socket.frames.filter((f) => f.type.startsWith('snapshot') || f.type === 'op');
    const begin = about[0] as ServerFrame & { seq: number; featureCount: number; map: { name: string } };
    expect(begin.type).toBe('snapshotBegin');
    const chunks = about.filter((f) => f.type === 'snapshotChunk') as (ServerFrame & {
      index: number;
      seq: number;
      features: Feature[];
    })[];
    const endAt = about.findIndex((f) => f.type === 'snapshotEnd');
    const end = about[endAt] as ServerFrame & { chunkCount: number };
    expect(about.slice(1, endAt).every((f) => f.type === 'snapshotChunk')).toBe(true);
    expect(about.slice(endAt + 1).every((f) => f.type === 'op')).toBe(true);
    const replica = new MapReplica(String(socket.frames.length));
    replica.beginSnapshot(begin.seq, begin.map.name, [], begin.featureCount);
    for (const chunk of chunks)
      expect(replica.applySnapshotChunk(chunk.seq, chunk.index, chunk.features)).not.toBeNull();
    expect(replica.endSnapshot(begin.seq, end.chunkCount)).not.toBeNull();
    const ops = about.slice(endAt + 1).map((f) => (f.record as OpRecord).seq);
    for (const frame of about.slice(endAt + 1)) replica.receive(frame.record as OpRecord);
    return { seq: begin.seq, ops, hash: stateHash(replica.confirmed), chunkCount: end.chunkCount };
  }

  const reads = async (end: string) =>
    (await node.server.metrics.snapshotReads.get()).values.find((v) => v.labels.end === end)?.value ?? 0;
  const streams = async () => (await node.server.metrics.snapshotStreams.get()).values[0]?.value ?? 0;

  it('equals the map, with the edits committed while the pages were read after the end, once, in order', async () => {
    const { mapId, token } = await mapWith('Cold', mixedFeatures(FEATURES, { styled: true }));
    const editor = await openClient(node.wsUrl, { token, mapId, name: 'Editor' });
    // A new seq: the snapshot read for the editor's join no longer covers, so the join below reads.
    editor.renameMap('Cold, renamed');
    await waitFor('the rename', () => editor.pendingCount === 0);
    const reads0 = await reads('read');
    const joiner = await openJoiner(token, 'cold-joiner');
    const edits = 5;
    let seqAtFirstPage = -1;
    watch.onFetch = (page) => {
      if (page !== 1) return;
      watch.onFetch = null;
      seqAtFirstPage = 0;
      // Committed while the read's transaction is open (on PGlite, whose one connection the read
      // holds, they commit once it ends): they follow the snapshot, not in it.
      for (let i = 0; i < edits; i++) editor.renameMap(`Renamed ${i}`);
    };
    joiner.send({ type: 'join', mapId });
    await joiner.next('snapshotEnd', () => true, 60_000);
    expect(seqAtFirstPage).toBe(0);
    expect((await reads('read')) - reads0).toBe(1);
    await waitFor('the edits to be acked', () => editor.pendingCount === 0, { timeoutMs: 30_000 });
    await waitFor('the edits after the snapshot', () => (joiner.count('op') >= edits ? true : null), {
      timeoutMs: 30_000,
    });
    const { seq, ops, hash, chunkCount } = replayed(joiner);
    expect(chunkCount).toBeGreaterThan(20);
    expect(ops).toEqual(Array.from({ length: edits }, (_, i) => seq + 1 + i));
    expect(hash).toBe(await serverHash(mapId));
    editor.close();
    joiner.close();
  }, 180_000);

  it('two joiners arriving together share one read', async () => {
    const { mapId, token } = await mapWith('Shared', mixedFeatures(FEATURES, { prefix: 's', styled: true }));
    const a = await openJoiner(token, 'share-a');
    const b = await openJoiner(token, 'share-b');
    const before = await reads('read');
    a.send({ type: 'join', mapId });
    b.send({ type: 'join', mapId });
    await a.next('snapshotEnd', () => true, 60_000);
    await b.next('snapshotEnd', () => true, 60_000);
    expect((await reads('read')) - before).toBe(1);
    const expected = await serverHash(mapId);
    expect(replayed(a).hash).toBe(expected);
    expect(replayed(b).hash).toBe(expected);
    a.close();
    b.close();
  }, 180_000);

  it('a joiner that leaves mid-stream frees its stream, its read and the room', async () => {
    const { mapId, token } = await mapWith('Left', mixedFeatures(FEATURES, { prefix: 'l', styled: true }));
    const joiner = await openJoiner(token, 'leaver');
    (joiner.ws as unknown as { _socket: Socket })._socket.pause();
    let left = false;
    watch.onFetch = async (page) => {
      // After the second page came back the first one is streaming (its chunks are sent as it arrives).
      if (page !== 2) return;
      watch.onFetch = null;
      // Gone while the pages are still being read: the read is abandoned at its next page.
      await waitFor('the stream to start', async () => ((await streams()) === 1 ? true : null));
      joiner.terminate();
      await waitFor('the node to see it leave', async () => ((await streams()) === 0 ? true : null));
      left = true;
    };
    const abandoned = await reads('abandoned');
    joiner.send({ type: 'join', mapId });
    await waitFor(
      'the read to be abandoned',
      async () => ((await reads('abandoned')) > abandoned ? true : null),
      {
        timeoutMs: 60_000,
      },
    );
    expect(left).toBe(true);
    expect(await streams()).toBe(0);
    await waitFor('its room to close', () => (node.server.stats().maps === 0 ? true : null));
  }, 180_000);

  it.runIf(kind === 'postgres')(
    'a storage failure mid-stream gives the joiner a typed error; it joins again, and the room serves others',
    async () => {
      const { mapId, token } = await mapWith(
        'Failing',
        mixedFeatures(FEATURES, { prefix: 'x', styled: true }),
      );
      const bystander = await openClient(node.wsUrl, { token, mapId, name: 'Bystander' });
      const joiner = await openJoiner(token, 'unlucky');
      const failed = await reads('failed');
      watch.onFetch = async (page, tx) => {
        if (page !== 2) return;
        watch.onFetch = null;
        // The reading connection dies between pages (a server restart, a dropped socket).
        await tx.query('SELECT pg_terminate_backend(pg_backend_pid())').catch(() => {});
      };
      // The bystander's room has a kept snapshot: a new seq makes the joiner need a fresh read.
      bystander.renameMap('Failing, renamed');
      await waitFor('the rename', () => bystander.pendingCount === 0);
      joiner.send({ type: 'join', mapId });
      const error = await joiner.next('error', () => true, 60_000);
      expect(error).toMatchObject({ code: ErrorCode.STORAGE_UNAVAILABLE, ref: 'join' });
      expect(joiner.count('snapshotBegin')).toBe(1);
      expect(joiner.count('snapshotEnd')).toBe(0);
      expect((await reads('failed')) - failed).toBe(1);
      expect(joiner.isOpen).toBe(true);
      await waitFor('the stream to end', async () => ((await streams()) === 0 ? true : null));
      // The client's answer to a transient refusal: join again; this time it completes.
      joiner.frames.length = 0;
      joiner.send({ type: 'join', mapId });
      await joiner.next('snapshotEnd', () => true, 60_000);
      expect(replayed(joiner).hash).toBe(await serverHash(mapId));
      bystander.renameMap('Still works');
      await waitFor('the op to reach the rejoined joiner', () =>
        joiner.frames.some((f) => f.type === 'op') ? true : null,
      );
      bystander.close();
      joiner.close();
    },
    180_000,
  );
});
