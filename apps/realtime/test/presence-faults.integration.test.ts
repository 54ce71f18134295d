import type { MeridianClient } from '@meridian/protocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildNode, spawnNode } from './child-node.ts';
import { createClusterStorage } from './databases.ts';
import { type ClusterNode, createMapVia, openClient, startTestCluster, tokenVia } from './harness.ts';
import { RedisServer } from './redis-server.ts';
import { TcpProxy } from './tcp-proxy.ts';
import { sleep, waitFor } from './wait.ts';

// Presence under faults: a restart of the bus must not make anyone vanish, and a dead node's
// people must go within the documented bound (PRESENCE_TTL_MS after its last heartbeat).

const HEARTBEAT_MS = 500;
const TTL_MS = 2000;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Every `presenceLeft` a client receives, by client id, with when it arrived. */
function recordLeaves(client: MeridianClient): { clientId: string; at: number }[] {
  const leaves: { clientId: string; at: number }[] = [];
  client.on('frame', (frame) => {
    if (frame.direction !== 'in' || frame.type !== 'presenceLeft') return;
    const { clientId } = JSON.parse(frame.data as string) as { clientId: string };
    leaves.push({ clientId, at: Date.now() });
  });
  return leaves;
}

function sees(client: MeridianClient, others: MeridianClient[]): boolean {
  return others.every((other) => other === client || client.peers.has(other.clientId));
}

describe('presence under faults', () => {
  it('a Redis restart while people move between nodes makes nobody leave anyone’s presence', async () => {
    const redis = await RedisServer.start();
    cleanups.push(() => redis.stop());
    const cluster = await startTestCluster({
      nodes: 3,
      name: 'meridian-flap',
      redisUrl: redis.url,
      env: { PRESENCE_HEARTBEAT_MS: String(HEARTBEAT_MS), PRESENCE_TTL_MS: String(TTL_MS) },
    });
    cleanups.push(() => cluster.stop());
    const [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
    // The movers reach B through a balancer that sends them to C once their connection drops.
    const balancer = await TcpProxy.start(b.port);
    cleanups.push(() => balancer.close());

    const created = await createMapVia(a.httpUrl, 'Presence flaps');
    const mapId = created.map.id;
    const token = await tokenVia(a.httpUrl, mapId, created.editKey);
    const open = async (url: string, name: string) => {
      const client = await openClient(url, { token, mapId, name });
      cleanups.push(() => client.close());
      // Listed once they move a cursor (audience mode); a rejoin re-sends it.
      client.setCursor([0, 0]);
      return client;
    };
    const viaBalancer = `ws://127.0.0.1:${balancer.port}/ws`;
    const stayers = [await open(a.wsUrl, 'on-a'), await open(b.wsUrl, 'on-b'), await open(c.wsUrl, 'on-c')];
    const movers = [await open(viaBalancer, 'mover-1'), await open(viaBalancer, 'mover-2')];
    const everyone = [...stayers, ...movers];
    await waitFor('everyone to see everyone', () => everyone.every((client) => sees(client, everyone)));
    const leaves = stayers.map(recordLeaves);

    await redis.stop();
    // While Redis is down (longer than the TTL): the movers' node connection drops and the
    // balancer sends them to C.
    await sleep(500);
    balancer.retarget(c.port);
    balancer.cut();
    balancer.restore();
    await waitFor('the movers to rejoin on C', () =>
      movers.every((mover) => mover.status.kind === 'joined' && mover.lastClose !== null),
    );
    await sleep(TTL_MS + HEARTBEAT_MS);
    await redis.restart();

    await waitFor(
      'everyone to see everyone again',
      () => everyone.every((client) => sees(client, everyone)),
      {
        timeoutMs: 20_000,
      },
    );
    // Past the settle (a TTL after the bus is back) and a few heartbeats more.
    await sleep(TTL_MS + 3 * HEARTBEAT_MS);
    expect(everyone.every((client) => sees(client, everyone))).toBe(true);
    expect(leaves.map((list) => list.map((leave) => leave.clientId))).toEqual(stayers.map(() => []));
  }, 90_000);

  it('a node killed with SIGKILL: its people leave everyone’s presence within PRESENCE_TTL_MS', async () => {
    const storage = await createClusterStorage({ name: 'meridian-ttl' });
    cleanups.push(() => storage.remove());
    const env = {
      ...storage.nodeEnv,
      PRESENCE_HEARTBEAT_MS: String(HEARTBEAT_MS),
      PRESENCE_TTL_MS: String(TTL_MS),
    };
    const spawned: ChildNode[] = [];
    for (const name of ['a', 'b', 'doomed']) {
      const node = await spawnNode({ ...env, NODE_ID: `ttl-${name}` });
      cleanups.push(() => node.stop());
      spawned.push(node);
    }
    const [a, b, doomed] = spawned as [ChildNode, ChildNode, ChildNode];
    const created = await createMapVia(a.httpUrl, 'Dead node');
    const mapId = created.map.id;
    const token = await tokenVia(a.httpUrl, mapId, created.editKey);
    const watchers = [
      await openClient(a.wsUrl, { token, mapId, name: 'wa' }),
      await openClient(b.wsUrl, { token, mapId, name: 'wb' }),
    ];
    const ghosts = [
      await openClient(doomed.wsUrl, { token, mapId, name: 'g1' }),
      await openClient(doomed.wsUrl, { token, mapId, name: 'g2' }),
    ];
    for (const client of [...watchers, ...ghosts]) {
      cleanups.push(() => client.close());
      client.setCursor([0, 0]);
    }
    await waitFor('the watchers to see the doomed node’s people', () =>
      watchers.every((watcher) => ghosts.every((ghost) => watcher.peers.has(ghost.clientId))),
    );
    const leaves = watchers.map(recordLeaves);
    // Its last heartbeat was at most one interval before this.
    await sleep(HEARTBEAT_MS);
    const killedAt = Date.now();
    doomed.kill('SIGKILL');
    await doomed.exited;
    await waitFor(
      'the doomed node’s people to leave',
      () => watchers.every((watcher) => ghosts.every((ghost) => !watcher.peers.has(ghost.clientId))),
      { timeoutMs: 10 * TTL_MS },
    );
    // The documented contract, measured from the kill (which is after the last heartbeat), with
    // a generous margin for a busy machine's timers and the bus.
    for (const list of leaves) {
      expect(list.map((leave) => leave.clientId).sort()).toEqual(ghosts.map((g) => g.clientId).sort());
      for (const leave of list) expect(leave.at - killedAt).toBeLessThan(TTL_MS + 1500);
    }
    // Nobody else left.
    expect(
      watchers.every((watcher) => watchers.every((w) => w === watcher || watcher.peers.has(w.clientId))),
    ).toBe(true);
  }, 90_000);
});
