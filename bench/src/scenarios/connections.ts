/** Idle connections held by one node, and the RSS each one costs. */
import { rssBytes } from '../load/proc.ts';
import type { SystemSpec } from '../systems/catalog.ts';
import type { BenchContext } from './context.ts';
import { openRoom } from './room.ts';

export interface IdleLevel {
  connections: number;
  rssBytes: number;
  baselineRssBytes: number;
  bytesPerConnection: number;
  connectSeconds: number;
  /** Connections that dropped while held. */
  dropped: number;
  /** Connection attempts that failed and were retried. */
  connectRetries: number;
}

const SETTLE_MS = 3_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runIdleConnections(
  ctx: BenchContext,
  system: SystemSpec,
  idle: { counts: number[]; roomSize: number },
): Promise<IdleLevel[]> {
  const deployment = await system.start({
    nodes: 1,
    redis: ctx.redis,
    cpus: ctx.cpus.servers,
    runId: ctx.runId,
  });
  const levels: IdleLevel[] = [];
  try {
    const node = deployment.nodes[0];
    if (!node) throw new Error('no node');
    // Warm the node (one room, one client) so the baseline includes code paths, not connections.
    await openRoom(ctx, deployment, { name: 'warm', clients: 1, senders: 0, firstIndex: 0 });
    await ctx.pool.disconnect();
    await sleep(SETTLE_MS);
    const baseline = rssBytes(node.pid);
    let held = 0;
    for (const target of idle.counts) {
      const started = Date.now();
      const opened = await openRoom(ctx, deployment, {
        name: ctx.uniqueName('idle'),
        clients: target - held,
        senders: 0,
        firstIndex: held,
        roomSize: idle.roomSize,
      });
      const connectSeconds = (Date.now() - started) / 1e3;
      held = target;
      await sleep(SETTLE_MS);
      const results = await ctx.pool.each('result', () => ({ kind: 'collect' }));
      const rss = rssBytes(node.pid);
      const level: IdleLevel = {
        connections: held,
        rssBytes: rss,
        baselineRssBytes: baseline,
        bytesPerConnection: (rss - baseline) / held,
        connectSeconds,
        dropped: results.reduce((n, r) => n + r.result.unexpectedCloses, 0),
        connectRetries: opened.retried,
      };
      levels.push(level);
      ctx.log(
        `  idle ${held}: RSS ${(rss / 2 ** 20).toFixed(0)} MiB, ${(level.bytesPerConnection / 1024).toFixed(2)} KiB/connection, ${level.dropped} dropped`,
      );
    }
  } finally {
    await ctx.pool.disconnect();
    await deployment.stop();
  }
  return levels;
}
