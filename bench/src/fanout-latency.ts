/**
 * Cross-node fan-out latency of a durable op: three realtime nodes (child processes) joined by a
 * Redis of the benchmark's own and a fresh Postgres database, 1,000 clients on one map spread
 * over the nodes, and one editor on node A moving a feature at a steady rate. For every op it
 * measures the time from the editor's send to each delivery on nodes B and C (commit, ack path,
 * bus, ordered delivery and the socket write included), and prints median, p90, p99 and max.
 *
 *   npm run bench:fanout -w @meridian/bench
 *
 * Knobs (environment): FANOUT_CLIENTS (1000), FANOUT_OPS (300), FANOUT_OP_INTERVAL_MS (50),
 * FANOUT_COMPRESSION (off | shared | dedicated). Sender and receivers share this process's
 * clock, so no cross-machine clock error; on a two-core machine the load generator competes with
 * the servers for CPU, which inflates the tail.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { PROTOCOL_VERSION } from '@meridian/protocol';
import WebSocket from 'ws';
import type { ClientTarget } from './load/plan.ts';
import { startMeridian } from './systems/meridian.ts';
import { startRedis } from './systems/redis.ts';
import { runCleanups } from './systems/spawn.ts';

const CLIENTS = Number(process.env.FANOUT_CLIENTS ?? 1000);
const OPS = Number(process.env.FANOUT_OPS ?? 300);
const OP_INTERVAL_MS = Number(process.env.FANOUT_OP_INTERVAL_MS ?? 50);
const COMPRESSION = process.env.FANOUT_COMPRESSION ?? 'off';
const CONNECT_BATCH = 50;
const NODE_NAMES = ['A', 'B', 'C'] as const;
const STAMP = '"opId":"fan-';

type Meridian = Extract<ClientTarget, { kind: 'meridian' }>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Joined {
  ws: WebSocket;
  node: number;
}

/** hello → welcome → join → snapshot; then `onOp` sees every op frame. */
function join(
  target: Meridian,
  node: number,
  clientId: string,
  onOp: (text: string) => void,
): Promise<Joined> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${target.url}?token=${encodeURIComponent(target.token)}`, {
      origin: target.origin,
      perMessageDeflate: COMPRESSION !== 'off',
    });
    const timer = setTimeout(() => reject(new Error(`${clientId}: no snapshot in 30 s`)), 30_000);
    let joined = false;
    ws.on('open', () =>
      ws.send(
        JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, clientId, name: clientId, color: '#336699' }),
      ),
    );
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (joined) {
        if (text.startsWith('{"type":"op"')) onOp(text);
        return;
      }
      if (text.startsWith('{"type":"welcome"'))
        ws.send(JSON.stringify({ type: 'join', mapId: target.mapId }));
      else if (text.startsWith('{"type":"snapshot"')) {
        joined = true;
        clearTimeout(timer);
        resolve({ ws, node });
      } else if (text.startsWith('{"type":"error"')) reject(new Error(`${clientId}: ${text.slice(0, 200)}`));
    });
    ws.on('error', (error) => reject(error));
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const fmt = (v: number) => `${v.toFixed(2)} ms`.padStart(10);
  return [
    `${String(sorted.length).padStart(7)} deliveries`,
    `median ${fmt(percentile(sorted, 50))}`,
    `p90 ${fmt(percentile(sorted, 90))}`,
    `p99 ${fmt(percentile(sorted, 99))}`,
    `max ${fmt(sorted[sorted.length - 1] ?? Number.NaN)}`,
  ].join('  ');
}

async function main(): Promise<void> {
  const runId = `fanout-${randomBytes(3).toString('hex')}`;
  console.log(
    `fan-out latency: 3 nodes, ${CLIENTS} clients on one map, ${OPS} ops every ${OP_INTERVAL_MS} ms`,
  );
  const redis = await startRedis(null);
  const deployment = await startMeridian(
    { nodes: 3, redis, cpus: null, runId },
    { path: 'op', env: { MERIDIAN_COMPRESSION: COMPRESSION } },
  );
  const sockets: WebSocket[] = [];
  try {
    const targetOf = await deployment.room('Fan-out latency');
    const meridian = (i: number) => {
      const target = targetOf(i);
      if (target.kind !== 'meridian') throw new Error('expected a Meridian target');
      return target;
    };
    const sentAt = new Map<number, number>();
    const latencies: number[][] = [[], [], []];
    const record = (node: number) => (text: string) => {
      const at = text.indexOf(STAMP);
      if (at < 0) return;
      const k = Number.parseInt(text.slice(at + STAMP.length, text.indexOf('"', at + STAMP.length)), 10);
      const sent = sentAt.get(k);
      if (sent !== undefined) latencies[node]?.push(performance.now() - sent);
    };

    const connectStarted = performance.now();
    for (let start = 0; start < CLIENTS; start += CONNECT_BATCH) {
      const batch = Array.from({ length: Math.min(CONNECT_BATCH, CLIENTS - start) }, (_, j) => {
        const i = start + j;
        const node = i % NODE_NAMES.length;
        return join(meridian(i), node, `fan-c${i}`, node === 0 ? () => {} : record(node));
      });
      for (const joined of await Promise.all(batch)) sockets.push(joined.ws);
    }
    const perNode = NODE_NAMES.map(
      (_, n) => Array.from({ length: CLIENTS }, (_, i) => i % 3).filter((x) => x === n).length,
    );
    console.log(
      `connected ${CLIENTS} clients (A ${perNode[0]}, B ${perNode[1]}, C ${perNode[2]}) in ${((performance.now() - connectStarted) / 1000).toFixed(1)} s`,
    );

    const editorTarget = meridian(0);
    const editor = await join(editorTarget, 0, 'fan-editor', () => {});
    sockets.push(editor.ws);
    const expected = OPS * ((perNode[1] ?? 0) + (perNode[2] ?? 0));
    for (let k = 0; k < OPS; k++) {
      sentAt.set(k, performance.now());
      editor.ws.send(
        JSON.stringify({
          type: 'op',
          mapId: editorTarget.mapId,
          opId: `fan-${k}`,
          op: {
            kind: 'feature.move',
            id: editorTarget.featureId,
            geometry: { type: 'Point', coordinates: [(k % 360) - 180, (k % 170) - 85] },
          },
        }),
      );
      await sleep(OP_INTERVAL_MS);
    }
    const deadline = Date.now() + 30_000;
    const received = () => (latencies[1]?.length ?? 0) + (latencies[2]?.length ?? 0);
    while (received() < expected && Date.now() < deadline) await sleep(100);

    console.log(`\nop sent on node A → delivered on node B and C (compression ${COMPRESSION})`);
    console.log(`  B     ${summary(latencies[1] ?? [])}`);
    console.log(`  C     ${summary(latencies[2] ?? [])}`);
    console.log(`  B + C ${summary([...(latencies[1] ?? []), ...(latencies[2] ?? [])])}`);
    if (received() < expected) console.log(`  missing deliveries: ${expected - received()} of ${expected}`);
  } finally {
    for (const ws of sockets) ws.terminate();
    await deployment.stop();
    await redis.process.stop();
  }
}

process.on('SIGINT', () => {
  void runCleanups().then(() => process.exit(130));
});
main().catch(async (error: unknown) => {
  console.error(error);
  await runCleanups();
  process.exit(1);
});
