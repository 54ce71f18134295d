import type { Socket } from 'node:net';
import { CloseCode } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMapVia, type EmbeddedNode, openClient, startEmbeddedNode, tokenVia } from './harness.ts';
import { RawSocket } from './raw-socket.ts';
import { sleep, waitFor } from './wait.ts';

// A client that stops reading: uWS skips publishes to a socket over maxBackpressure, so the node
// must notice (the durable op was dropped) and close it with 4008, telling it to resume; volatile
// traffic is dropped for it first. Large ops fill the buffers quickly.
//
// What a client can rely on: once found slow it is sent nothing more, and the 4008 close frame is
// sent when what was queued for it has left, so a client that reads again within IDLE_TIMEOUT_S
// reads its backlog and then 4008, however long it stalled. Only one that does not read for
// IDLE_TIMEOUT_S is cut (1006); both mean "reconnect and resume from your last seq".

/**
 * uWS closes a socket this long (at most, with its 4 s timer granularity) after `end()` when the
 * close frame could not be written: IDLE_TIMEOUT_S 16 gives an 8 s margin.
 */
const IDLE_TIMEOUT_S = 16;
const UWS_END_TIMEOUT_MS = 8000 + 4000;

let node: EmbeddedNode;

beforeAll(async () => {
  node = await startEmbeddedNode({
    env: {
      VOLATILE_BACKPRESSURE_BYTES: String(16 * 1024),
      RATE_LIMIT_MSGS_PER_S: '1000',
      RATE_LIMIT_BURST: '1000',
      IDLE_TIMEOUT_S: String(IDLE_TIMEOUT_S),
    },
  });
});

afterAll(async () => {
  await node?.stop();
});

// ~55 KB per op (under the 64 KiB frame limit): a line of 2,500 vertices.
const round = (x: number) => Math.round(x * 1e4) / 1e4;
const line = Array.from({ length: 2500 }, (_, i) => [
  round(i / 137.1234 - 18),
  round((i % 170) / 3.3333 - 25),
]) as [number, number][];

const slowCloses = () => node.server.metrics.slowConsumerCloses.get().then((m) => m.values[0]?.value ?? 0);
const tcp = (socket: RawSocket) => (socket.ws as unknown as { _socket: Socket })._socket;

interface Scene {
  editor: MeridianClient;
  healthy: MeridianClient;
  slow: RawSocket;
  mapId: string;
  end(): void;
}

/** An editor, a healthy reader and a raw socket that stopped reading at the TCP level. */
async function scene(name: string): Promise<Scene> {
  const created = await createMapVia(node.httpUrl, name);
  const mapId = created.map.id;
  const token = await tokenVia(node.httpUrl, mapId, created.editKey);
  const editor = await openClient(node.wsUrl, { token, mapId, name: 'Editor' });
  const healthy = await openClient(node.wsUrl, { token, mapId, name: 'Healthy' });
  const slow = await RawSocket.open(`${node.wsUrl}?token=${token}`);
  await slow.joinMap(mapId, `slow-${name.replace(/\W/g, '-')}`);
  // Stop reading: the kernel buffers fill, then uWS's send buffer does. It stays alive and keeps
  // sending (a slow downlink), so uWS's idle timeout never acts: only the slow-consumer policy.
  tcp(slow).pause();
  const keepAlive = setInterval(() => slow.send({ type: 'ping', t: Date.now() }), 1000);
  return {
    editor,
    healthy,
    slow,
    mapId,
    end() {
      clearInterval(keepAlive);
      editor.close();
      healthy.close();
      slow.close();
    },
  };
}

/** Heavy ops until the node finds the slow socket too slow. */
async function flood({ editor }: Scene): Promise<void> {
  const before = await slowCloses();
  for (let i = 0; i < 400 && (await slowCloses()) === before; i++) {
    editor.createFeature({ type: 'LineString', coordinates: line }, { title: `heavy ${i}` });
    editor.setCursor([i % 180, 0]);
    await waitFor('the op to be acked', () => editor.pendingCount === 0, { timeoutMs: 20_000 });
    await sleep(50);
  }
  expect(await slowCloses()).toBeGreaterThan(before);
}

describe('slow consumers', () => {
  it('closes a client that stopped reading with 4008 once a durable op cannot be buffered for it', async () => {
    const s = await scene('Slow');
    await flood(s);
    const dropped = await node.server.metrics.volatileDropped.get();
    expect(dropped.values[0]?.value ?? 0).toBeGreaterThan(0);

    tcp(s.slow).resume();
    expect((await s.slow.closed).code).toBe(CloseCode.SLOW_CONSUMER);
    // Everyone else kept up.
    expect(s.healthy.status.kind).toBe('joined');
    await waitFor('the healthy client to catch up', () => s.healthy.seq === s.editor.seq);
    s.end();
  }, 90_000);

  it('a client that stalls longer than uWS’s close timeout still reads 4008 when it reads again', async () => {
    const s = await scene('Long stall');
    await flood(s);
    // The ops committed after it was found slow are not queued for it.
    s.editor.createFeature({ type: 'LineString', coordinates: line }, { title: 'after' });
    await sleep(UWS_END_TIMEOUT_MS + 2000);
    expect(s.slow.closeInfo).toBeNull();
    tcp(s.slow).resume();
    const closed = await s.slow.closed;
    expect(closed.code).toBe(CloseCode.SLOW_CONSUMER);
    // What it read before the close frame ends with ops it missed nothing of: a contiguous run,
    // so resuming from its last seq is exact.
    const seqs = s.slow.frames.filter((f) => f.type === 'op').map((f) => (f.record as { seq: number }).seq);
    expect(seqs.length).toBeGreaterThan(0);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
    expect(Math.max(...seqs)).toBeLessThan(s.editor.seq);
    s.end();
  }, 90_000);

  it('a client found slow that never reads again is cut after IDLE_TIMEOUT_S: it sees 1006, which means the same', async () => {
    const s = await scene('Never reads');
    const cuts = async () => {
      const closes = await node.server.metrics.closes.get();
      return closes.values.find((v) => v.labels.code === '1006')?.value ?? 0;
    };
    const before = await cuts();
    await flood(s);
    // Still sending (so uWS's idle timeout never fires): only the slow-consumer deadline acts.
    await waitFor('the node to cut the slow socket', async () => (await cuts()) > before, {
      timeoutMs: IDLE_TIMEOUT_S * 1000 + 15_000,
      intervalMs: 250,
    });
    tcp(s.slow).resume();
    const closed = await s.slow.closed;
    expect(closed.code).toBe(1006);
    s.end();
  }, 120_000);
});
