/** Idle connections held by one node, and the RSS each one costs. */
import { type InspectorSession, openInspector } from '../load/inspector-gc.ts';
import { rssBytes } from '../load/proc.ts';
import type { SystemSpec } from '../systems/catalog.ts';
import type { BenchContext } from './context.ts';
import { socketsPerProcess } from './harness.ts';
import { openRoom } from './room.ts';

export interface IdleResult {
  levels: IdleLevel[];
  /** Counts that could not be measured, and why. */
  skipped: { connections: number; reason: string }[];
}

export interface IdleLevel {
  connections: number;
  /** RSS after a full garbage collection (the figure the per-connection columns use). */
  rssBytes: number;
  /** RSS as the process left it, before that collection. */
  rssBeforeGcBytes: number;
  baselineRssBytes: number;
  /** (RSS − baseline) / connections. */
  bytesPerConnection: number;
  /** RSS growth per connection since the previous level: less sensitive to the baseline's noise. */
  marginalBytesPerConnection: number | null;
  connectSeconds: number;
  /** Connections that dropped while held. */
  dropped: number;
  /** Connection attempts that failed and were retried. */
  connectRetries: number;
}

const SETTLE_MS = 3_000;
const RSS_SAMPLES = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The median of a few RSS readings a second apart: a garbage collection can move one reading by megabytes. */
async function medianRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < RSS_SAMPLES; i++) {
    samples.push(rssBytes(pid));
    await sleep(1_000);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? 0;
}

/**
 * RSS as left (after settling), then after a full collection in the node. V8 collects lazily, so
 * without the second reading a node's start-up garbage decides the per-connection figure.
 */
async function settledRss(
  pid: number,
  inspector: InspectorSession,
): Promise<{ asLeft: number; afterGc: number }> {
  await sleep(SETTLE_MS);
  const asLeft = await medianRss(pid);
  await inspector.collectGarbage();
  await sleep(500);
  return { asLeft, afterGc: await medianRss(pid) };
}

export async function runIdleConnections(
  ctx: BenchContext,
  system: SystemSpec,
  idle: { counts: number[]; roomSize: number },
): Promise<IdleResult> {
  // One node is one process: it cannot hold more sockets than its open-files limit allows.
  const ceiling = socketsPerProcess(ctx.openFilesLimit);
  const reason = `one process may open at most ${ctx.openFilesLimit} files here (RLIMIT_NOFILE), so a node holds at most ~${ceiling} sockets`;
  const skipped = idle.counts.filter((n) => n > ceiling).map((connections) => ({ connections, reason }));
  const counts = idle.counts.filter((n) => n <= ceiling);
  if (skipped.length > 0 && !counts.includes(ceiling)) counts.push(ceiling);
  if (skipped.length > 0)
    ctx.log(
      `  skipping ${skipped.map((s) => s.connections).join(', ')}: ${reason}; measuring ${ceiling} instead`,
    );
  const deployment = await system.start({
    nodes: 1,
    redis: ctx.redis,
    cpus: ctx.cpus.servers,
    runId: ctx.runId,
  });
  const levels: IdleLevel[] = [];
  let inspector: InspectorSession | null = null;
  try {
    const node = deployment.nodes[0];
    if (!node) throw new Error('no node');
    // Warm the node (one room, one client) so the baseline includes code paths, not connections.
    await openRoom(ctx, deployment, { name: 'warm', clients: 1, senders: 0, firstIndex: 0 });
    await ctx.pool.disconnect();
    inspector = await openInspector(node.pid);
    const baseline = (await settledRss(node.pid, inspector)).afterGc;
    let held = 0;
    let previous = { connections: 0, rss: baseline };
    for (const target of counts) {
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
      const { asLeft, afterGc: rss } = await settledRss(node.pid, inspector);
      const results = await ctx.pool.each('result', () => ({ kind: 'collect' }));
      const level: IdleLevel = {
        connections: held,
        rssBytes: rss,
        rssBeforeGcBytes: asLeft,
        baselineRssBytes: baseline,
        bytesPerConnection: (rss - baseline) / held,
        marginalBytesPerConnection:
          previous.connections > 0 ? (rss - previous.rss) / (held - previous.connections) : null,
        connectSeconds,
        dropped: results.reduce((n, r) => n + r.result.unexpectedCloses, 0),
        connectRetries: opened.retried,
      };
      levels.push(level);
      previous = { connections: held, rss };
      ctx.log(
        `  idle ${held}: RSS ${(rss / 2 ** 20).toFixed(0)} MiB after GC (${(asLeft / 2 ** 20).toFixed(0)} before), ${(level.bytesPerConnection / 1024).toFixed(2)} KiB/connection, ${level.dropped} dropped`,
      );
    }
  } finally {
    inspector?.close();
    await ctx.pool.disconnect();
    await deployment.stop();
  }
  return { levels, skipped };
}
