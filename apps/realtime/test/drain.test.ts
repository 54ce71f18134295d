import { CloseCode } from '@meridian/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildNode, spawnNode } from './child-node.ts';
import { createEmbeddedDataDir } from './databases.ts';
import { type CreatedMap, createMapVia, tokenVia } from './harness.ts';
import { RawSocket } from './raw-socket.ts';
import { waitFor } from './wait.ts';

// SIGTERM drains a node (a child process on the embedded defaults) in the order a balancer
// needs (infra/lb/haproxy.cfg): readiness off while it still serves, a grace for the balancer's
// checks, then it stops accepting, closes clients with 1012 so they resume elsewhere, finishes
// the commits in flight and exits.

const DRAIN_TIMEOUT_MS = 8000;
// Long enough for the test to look at the node between the signal and the closes.
const DRAIN_GRACE_MS = 3000;
let data: Awaited<ReturnType<typeof createEmbeddedDataDir>>;
let node: ChildNode | null = null;

beforeAll(async () => {
  data = await createEmbeddedDataDir();
});

afterAll(async () => {
  await node?.stop();
  await data?.remove();
});

const start = () =>
  spawnNode({
    MERIDIAN_DATA_DIR: data.dir,
    DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
    DRAIN_GRACE_MS: String(DRAIN_GRACE_MS),
  });

describe('drain', () => {
  it('answers /readyz 503 first while clients stay connected, then closes them with 1012, keeps every acked op, and exits within the bound', async () => {
    node = await start();
    const created: CreatedMap = await createMapVia(node.httpUrl, 'Drained');
    const mapId = created.map.id;
    const token = await tokenVia(node.httpUrl, mapId, created.editKey);
    const editor = await RawSocket.open(`${node.wsUrl}?token=${token}`);
    await editor.joinMap(mapId, 'editor');
    const watcher = await RawSocket.open(`${node.wsUrl}?token=${token}`);
    await watcher.joinMap(mapId, 'watcher');

    // Ops in flight when the signal lands: whatever was acked must be there after a restart.
    for (let i = 0; i < 30; i++) {
      editor.send({
        type: 'op',
        mapId,
        opId: `o-drain-${i}`,
        op: {
          kind: 'feature.create',
          feature: {
            type: 'Feature',
            id: `d${i}`,
            geometry: { type: 'Point', coordinates: [i, 0] },
            properties: {},
            version: 0,
          },
        },
      });
    }
    await waitFor('the first acks', () => editor.count('ack') >= 1);
    const signalledAt = Date.now();
    node.kill('SIGTERM');
    const httpUrl = node.httpUrl;
    const readiness = await waitFor('readiness to go off', async () => {
      const res = await fetch(`${httpUrl}/readyz`);
      return res.status === 503 ? ((await res.json()) as { draining: boolean }) : null;
    });
    expect(readiness.draining).toBe(true);
    // Readiness is off and the sockets are still open: the balancer has time to stop sending.
    expect(editor.closeInfo).toBeNull();
    expect(watcher.closeInfo).toBeNull();
    expect(editor.isOpen && watcher.isOpen).toBe(true);
    // A client the balancer still sends during the grace is served, not refused.
    const late = await RawSocket.open(`${node.wsUrl}?token=${token}`);
    await late.joinMap(mapId, 'late');
    const [editorClose, watcherClose, lateClose] = await Promise.all([
      editor.closed,
      watcher.closed,
      late.closed,
    ]);
    expect(lateClose.code).toBe(CloseCode.SERVICE_RESTART);
    expect(editorClose.code).toBe(CloseCode.SERVICE_RESTART);
    expect(watcherClose.code).toBe(CloseCode.SERVICE_RESTART);
    const exit = await node.exited;
    expect(exit.code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(DRAIN_TIMEOUT_MS + 2000);
    const acked = editor.frames.filter((f) => f.type === 'ack').map((f) => f.opId as string);
    expect(acked.length).toBeGreaterThan(0);
    await expect(fetch(`${node.httpUrl}/healthz`)).rejects.toThrow();

    // The same data folder, a new process: every acked op is in the map.
    node = await start();
    const token2 = await tokenVia(node.httpUrl, mapId, created.editKey);
    const check = await RawSocket.open(`${node.wsUrl}?token=${token2}`);
    const snapshot = await check.joinMap(mapId, 'checker');
    const ids = new Set((snapshot.features as { id: string }[]).map((f) => f.id));
    for (const opId of acked) expect(ids).toContain(`d${opId.slice('o-drain-'.length)}`);
    check.close();
  });
});
