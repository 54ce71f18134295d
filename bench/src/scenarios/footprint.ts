/** What one idle node costs before any client comes: its start-up time and its resident memory. */
import { openInspector } from '../load/inspector-gc.ts';
import { cpuSeconds, rssBytes } from '../load/proc.ts';
import type { SystemSpec } from '../systems/catalog.ts';
import type { BenchContext } from './context.ts';

export interface FootprintResult {
  /** Spawn to the first 200 from `/readyz` (Meridian) or `/healthz` (the peers), one per start. */
  readyMs: number[];
  /**
   * CPU time (user + system) the node used from spawn to ready, one per start: unlike the wall
   * time, hardly moved by other work on a shared machine.
   */
  readyCpuMs: number[];
  /** Median RSS over 5 s of an idle node, 3 s after it was ready, as the process left it. */
  idleRssBytes: number;
  /** The same after a full garbage collection forced through the node's inspector. */
  idleRssAfterGcBytes: number;
}

/** Starts per system: start-up time varies run to run more than RSS does. */
const STARTS = 3;
const SETTLE_MS = 3_000;
const RSS_SAMPLES = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function medianRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < RSS_SAMPLES; i++) {
    samples.push(rssBytes(pid));
    await sleep(1_000);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? 0;
}

/**
 * One node of `system` with its usual dependencies (Redis, and Postgres for Meridian), started
 * STARTS times; the first start is also left idle and its RSS read, before and after a full GC.
 */
export async function runFootprint(ctx: BenchContext, system: SystemSpec): Promise<FootprintResult> {
  const readyMs: number[] = [];
  const readyCpuMs: number[] = [];
  let idleRssBytes = Number.NaN;
  let idleRssAfterGcBytes = Number.NaN;
  for (let start = 0; start < STARTS; start++) {
    const deployment = await system.start({
      nodes: 1,
      redis: ctx.redis,
      cpus: ctx.cpus.servers,
      runId: ctx.runId,
    });
    try {
      const node = deployment.nodes[0];
      if (!node || node.readyAfterMs === null) throw new Error(`${system.id}: no node reported ready`);
      readyMs.push(node.readyAfterMs);
      readyCpuMs.push(cpuSeconds(node.pid) * 1000);
      if (start === 0) {
        await sleep(SETTLE_MS);
        idleRssBytes = await medianRss(node.pid);
        const inspector = await openInspector(node.pid);
        try {
          await inspector.collectGarbage();
        } finally {
          inspector.close();
        }
        await sleep(500);
        idleRssAfterGcBytes = await medianRss(node.pid);
      }
    } finally {
      await deployment.stop();
    }
  }
  ctx.log(
    `  footprint: ready in ${readyMs.map((v) => `${Math.round(v)} ms`).join(', ')} ` +
      `(CPU ${readyCpuMs.map((v) => `${Math.round(v)} ms`).join(', ')}); ` +
      `idle RSS ${(idleRssBytes / 2 ** 20).toFixed(0)} MiB, ${(idleRssAfterGcBytes / 2 ** 20).toFixed(0)} MiB after GC`,
  );
  return { readyMs, readyCpuMs, idleRssBytes, idleRssAfterGcBytes };
}
