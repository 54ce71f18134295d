import type { Socket } from 'node:net';
import { type Database, openDatabase } from '@meridian/db';
import { CloseCode } from '@meridian/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMemoryBus } from '../src/bus/memory-bus.ts';
import { createEmbeddedDataDir } from './databases.ts';
import { createMapVia, openClient, startNode, type TestNode, tokenVia } from './harness.ts';
import { RawSocket } from './raw-socket.ts';
import { waitFor } from './wait.ts';

// A client that stops reading: uWS skips publishes to a socket over maxBackpressure, so the node
// must notice (the durable op was dropped) and close it with 4008, telling it to resume; volatile
// traffic is dropped for it first. Large ops fill the buffers quickly.

let data: Awaited<ReturnType<typeof createEmbeddedDataDir>>;
let db: Database;
let node: TestNode;

beforeAll(async () => {
  data = await createEmbeddedDataDir();
  db = await openDatabase({ dataDir: data.dir });
  node = await startNode({
    db,
    bus: createMemoryBus(),
    dataDir: data.dir,
    env: {
      VOLATILE_BACKPRESSURE_BYTES: String(16 * 1024),
      RATE_LIMIT_MSGS_PER_S: '1000',
      RATE_LIMIT_BURST: '1000',
    },
  });
});

afterAll(async () => {
  await node?.stop();
  await db?.close();
  await data?.remove();
});

it('closes a client that stopped reading with 4008 once a durable op cannot be buffered for it', async () => {
  const created = await createMapVia(node.httpUrl, 'Slow');
  const mapId = created.map.id;
  const token = await tokenVia(node.httpUrl, mapId, created.editKey);
  const editor = await openClient(node.wsUrl, { token, mapId, name: 'Editor' });
  const healthy = await openClient(node.wsUrl, { token, mapId, name: 'Healthy' });
  const slow = await RawSocket.open(`${node.wsUrl}?token=${token}`);
  await slow.joinMap(mapId, 'slow');
  // Stop reading at the TCP level: the kernel buffers fill, then uWS's send buffer does.
  (slow.ws as unknown as { _socket: Socket })._socket.pause();

  // ~55 KB per op (under the 64 KiB frame limit): a line of 2,500 vertices.
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const line = Array.from({ length: 2500 }, (_, i) => [
    round(i / 137.1234 - 18),
    round((i % 170) / 3.3333 - 25),
  ]) as [number, number][];
  const slowCloses = () => node.server.metrics.slowConsumerCloses.get().then((m) => m.values[0]?.value ?? 0);
  for (let i = 0; i < 400 && (await slowCloses()) === 0; i++) {
    editor.createFeature({ type: 'LineString', coordinates: line }, { title: `heavy ${i}` });
    editor.setCursor([i % 180, 0]);
    await waitFor('the op to be acked', () => editor.pendingCount === 0, { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(await slowCloses()).toBeGreaterThan(0);
  const dropped = await node.server.metrics.volatileDropped.get();
  expect(dropped.values[0]?.value ?? 0).toBeGreaterThan(0);

  (slow.ws as unknown as { _socket: Socket })._socket.resume();
  expect((await slow.closed).code).toBe(CloseCode.SLOW_CONSUMER);
  // Everyone else kept up.
  expect(healthy.status.kind).toBe('joined');
  await waitFor('the healthy client to catch up', () => healthy.seq === editor.seq);
  editor.close();
  healthy.close();
});
