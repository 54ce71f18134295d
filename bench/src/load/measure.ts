/**
 * One measured run: a fixed offered rate for a fixed time, then a bounded drain, with
 * server CPU read from /proc before and after.
 */
import { LatencyHistogram } from './histogram.ts';
import type { WorkerPool } from './pool.ts';
import { totalCpuSeconds } from './proc.ts';

export interface RunSpec {
  epoch: number;
  /** Broadcasts per second offered by all senders together. */
  ratePerS: number;
  durationMs: number;
  /** Deliveries each broadcast should make. */
  receiversPerMessage: number;
  /** Senders each worker holds, to split the rate in proportion. */
  senderShares: readonly number[];
  /** The run ends early once deliveries stop arriving for this long. */
  quietMs: number;
  drainMaxMs: number;
}

export interface CpuPids {
  nodes: readonly number[];
  redis: readonly number[];
  clients: readonly number[];
}

export interface Measurement {
  offeredPerS: number;
  sent: number;
  expected: number;
  delivered: number;
  /** Broadcasts received again by a receiver that already had them (not counted as delivered). */
  repeats: number;
  /** delivered / expected. */
  completeness: number;
  deliveredPerS: number;
  bytesPerS: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  windowS: number;
  /** Window plus drain: the span the CPU figures cover. */
  elapsedS: number;
  nodeCpuS: number;
  redisCpuS: number;
  clientCpuS: number;
  /** Server-node CPU per delivered message. */
  nodeCpuUsPerDelivery: number;
  /** Nodes and Redis together. */
  serverCpuUsPerDelivery: number;
  serverErrors: number;
  /** Connections lost during this run. */
  unexpectedCloses: number;
  /** Connections lost since the room filled, by close code. */
  closeCodes: Record<string, number>;
  maxSendLagMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measure(pool: WorkerPool, cpu: CpuPids, spec: RunSpec): Promise<Measurement> {
  const totalSenders = spec.senderShares.reduce((a, b) => a + b, 0);
  if (totalSenders === 0) throw new Error('no senders connected');
  const started = Date.now();
  const closedBefore = (await pool.each('progress', () => ({ kind: 'progress' }))).reduce(
    (n, r) => n + r.closed,
    0,
  );
  const before = {
    nodes: totalCpuSeconds(cpu.nodes),
    redis: totalCpuSeconds(cpu.redis),
    clients: totalCpuSeconds(cpu.clients),
  };
  const sentReplies = await pool.each('sent', (i) => ({
    kind: 'run',
    epoch: spec.epoch,
    ratePerS: (spec.ratePerS * (spec.senderShares[i] ?? 0)) / totalSenders,
    durationMs: spec.durationMs,
  }));
  const sent = sentReplies.reduce((n, r) => n + r.sent, 0);
  const expected = sent * spec.receiversPerMessage;

  const drainDeadline = Date.now() + spec.drainMaxMs;
  let lastDelivered = -1;
  let lastProgressAt = Date.now();
  while (Date.now() < drainDeadline) {
    const progress = await pool.each('progress', () => ({ kind: 'progress' }));
    const delivered = progress.reduce((n, r) => n + r.delivered, 0);
    if (delivered >= expected) break;
    if (delivered !== lastDelivered) {
      lastDelivered = delivered;
      lastProgressAt = Date.now();
    } else if (Date.now() - lastProgressAt >= spec.quietMs) break;
    await sleep(100);
  }
  const after = {
    nodes: totalCpuSeconds(cpu.nodes),
    redis: totalCpuSeconds(cpu.redis),
    clients: totalCpuSeconds(cpu.clients),
  };
  const elapsedS = (Date.now() - started) / 1e3;
  const results = await pool.each('result', () => ({ kind: 'collect' }));

  const histogram = new LatencyHistogram();
  let delivered = 0;
  let deliveredInWindow = 0;
  let bytes = 0;
  let repeats = 0;
  let serverErrors = 0;
  let closedNow = 0;
  const closeCodes: Record<string, number> = {};
  let maxSendLagMs = 0;
  for (const { result } of results) {
    histogram.add(new LatencyHistogram(result.histogram));
    delivered += result.delivered;
    deliveredInWindow += result.deliveredInWindow;
    bytes += result.bytes;
    repeats += result.repeats;
    serverErrors += result.serverErrors;
    closedNow += result.unexpectedCloses;
    for (const [code, n] of Object.entries(result.closeCodes)) closeCodes[code] = (closeCodes[code] ?? 0) + n;
    maxSendLagMs = Math.max(maxSendLagMs, result.maxSendLagMs);
  }
  const windowS = spec.durationMs / 1e3;
  const nodeCpuS = after.nodes - before.nodes;
  const redisCpuS = after.redis - before.redis;
  const perDelivery = (s: number) => (delivered > 0 ? (s * 1e6) / delivered : Number.NaN);
  return {
    offeredPerS: spec.ratePerS,
    sent,
    expected,
    delivered,
    repeats,
    completeness: expected > 0 ? delivered / expected : Number.NaN,
    deliveredPerS: deliveredInWindow / windowS,
    bytesPerS: delivered > 0 ? (bytes / delivered) * (deliveredInWindow / windowS) : 0,
    p50Ms: histogram.quantileUs(0.5) / 1e3,
    p99Ms: histogram.quantileUs(0.99) / 1e3,
    p999Ms: histogram.quantileUs(0.999) / 1e3,
    maxMs: histogram.maxUs / 1e3,
    windowS,
    elapsedS,
    nodeCpuS,
    redisCpuS,
    clientCpuS: after.clients - before.clients,
    nodeCpuUsPerDelivery: perDelivery(nodeCpuS),
    serverCpuUsPerDelivery: perDelivery(nodeCpuS + redisCpuS),
    serverErrors,
    unexpectedCloses: closedNow - closedBefore,
    closeCodes,
    maxSendLagMs,
  };
}
