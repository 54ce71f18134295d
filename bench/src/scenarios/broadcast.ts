/**
 * Fan-out latency, the throughput sweep and the cursor storm: broadcasts in one room
 * spread over the nodes, at a fixed offered rate.
 */
import { type Measurement, measure } from '../load/measure.ts';
import type { Deployment, SystemSpec } from '../systems/catalog.ts';
import type { BenchContext } from './context.ts';
import { type BroadcastConfig, SWEEP_LIMITS } from './modes.ts';
import { openRoom } from './room.ts';

export interface SweepResult {
  levels: Measurement[];
  /** Highest delivered messages/s over the sustainable levels (0 when none was). */
  sustainableDeliveredPerS: number;
  sustainableOfferedPerS: number;
  stoppedBecause: string;
  /** First attempts of levels that missed only on p99 and were run again. */
  discarded: Measurement[];
}

function cpuPids(ctx: BenchContext, deployment: Deployment) {
  return {
    nodes: deployment.nodes.map((node) => node.pid),
    redis: [ctx.redis.process.pid],
    clients: ctx.pool.pids,
  };
}

/** Why a level is not sustainable, or null when it is. */
export function unsustainableBecause(m: Measurement, receiversPerMessage: number): string | null {
  if (m.unexpectedCloses > 0) return `${m.unexpectedCloses} connections closed during the run`;
  if (!(m.p99Ms <= SWEEP_LIMITS.P99_MS)) return `p99 ${m.p99Ms.toFixed(1)} ms > ${SWEEP_LIMITS.P99_MS} ms`;
  if (!(m.completeness >= SWEEP_LIMITS.MIN_COMPLETENESS))
    return `only ${(m.completeness * 100).toFixed(1)} % of deliveries arrived`;
  const offered = m.offeredPerS * receiversPerMessage;
  if (m.deliveredPerS < offered * SWEEP_LIMITS.MIN_DELIVERED_FRACTION)
    return `delivered ${Math.round(m.deliveredPerS)}/s of ${offered}/s offered`;
  return null;
}

export interface BroadcastResults {
  fanout: Measurement;
  sweep: SweepResult | null;
  /** Connection attempts that failed and were retried while filling the room. */
  connectRetries: number;
  /** Connections lost while the room filled (the runs then had fewer receivers). */
  lostWhileFilling: number;
}

/** Fan-out at the fixed load, then the sweep, in one room of `config.clients`. */
export async function runBroadcast(
  ctx: BenchContext,
  system: SystemSpec,
  deployment: Deployment,
  config: BroadcastConfig,
): Promise<BroadcastResults> {
  const room = await openRoom(ctx, deployment, {
    name: ctx.uniqueName('fan'),
    clients: config.clients,
    senders: config.senders,
  });
  const receivers = system.receiversPerMessage(config.clients);
  const pids = cpuPids(ctx, deployment);
  const run = (ratePerS: number, durationMs: number) =>
    measure(ctx.pool, pids, {
      epoch: ctx.nextEpoch(),
      ratePerS,
      durationMs,
      receiversPerMessage: receivers,
      senderShares: room.senderShares,
      quietMs: ctx.config.quietMs,
      drainMaxMs: ctx.config.drainMaxMs,
    });
  try {
    const fanout = await run(config.ratePerS, config.durationMs);
    ctx.log(`  fan-out ${config.ratePerS}/s: ${summary(fanout)}`);
    const sweepConfig = ctx.config.sweep;
    if (!sweepConfig)
      return { fanout, sweep: null, connectRetries: room.retried, lostWhileFilling: room.lost };
    const sweep: SweepResult = {
      levels: [],
      sustainableDeliveredPerS: 0,
      sustainableOfferedPerS: 0,
      stoppedBecause: 'reached the highest offered rate',
      discarded: [],
    };
    for (const rate of sweepConfig.ratesPerS) {
      let level = await run(rate, sweepConfig.durationMs);
      let reason = unsustainableBecause(level, receivers);
      // Other tenants of a shared machine can stall a run; a level that kept up and missed
      // only on p99 gets one more try, and both attempts are kept in the raw results.
      if (reason !== null && unsustainableBecause({ ...level, p99Ms: 0 }, receivers) === null) {
        ctx.log(`  sweep ${rate}/s: ${summary(level)} — ${reason}; once more`);
        sweep.discarded.push(level);
        level = await run(rate, sweepConfig.durationMs);
        reason = unsustainableBecause(level, receivers);
      }
      sweep.levels.push(level);
      const failedBefore = sweep.stoppedBecause !== 'reached the highest offered rate';
      ctx.log(
        `  sweep ${rate}/s: ${summary(level)}${reason ? ` — ${sweepConfig.everyLevel ? '' : 'stop: '}${reason}` : ''}`,
      );
      if (reason) {
        if (!failedBefore) sweep.stoppedBecause = `at ${rate}/s: ${reason}`;
        // --sweep-every-level: the later levels are measured too (their CPU per delivery), but
        // the sustainable figure stays the last level before the first one that failed.
        if (sweepConfig.everyLevel) continue;
        break;
      }
      if (!failedBefore && level.deliveredPerS > sweep.sustainableDeliveredPerS) {
        sweep.sustainableDeliveredPerS = level.deliveredPerS;
        sweep.sustainableOfferedPerS = rate;
      }
    }
    return { fanout, sweep, connectRetries: room.retried, lostWhileFilling: room.lost };
  } finally {
    await ctx.pool.disconnect();
  }
}

/** Everyone in one room moving a cursor at `hz`: the volatile path under its worst load. */
export async function runCursorStorm(
  ctx: BenchContext,
  system: SystemSpec,
  deployment: Deployment,
  storm: { clients: number; hz: number; durationMs: number },
): Promise<Measurement> {
  const room = await openRoom(ctx, deployment, {
    name: ctx.uniqueName('storm'),
    clients: storm.clients,
    senders: storm.clients,
  });
  try {
    const m = await measure(ctx.pool, cpuPids(ctx, deployment), {
      epoch: ctx.nextEpoch(),
      ratePerS: storm.clients * storm.hz,
      durationMs: storm.durationMs,
      receiversPerMessage: system.receiversPerMessage(storm.clients),
      senderShares: room.senderShares,
      quietMs: ctx.config.quietMs,
      drainMaxMs: ctx.config.drainMaxMs,
    });
    ctx.log(`  cursor storm ${storm.clients}×${storm.hz} Hz: ${summary(m)}`);
    return m;
  } finally {
    await ctx.pool.disconnect();
  }
}

export function summary(m: Measurement): string {
  return [
    `${Math.round(m.deliveredPerS)} deliveries/s`,
    `p50 ${m.p50Ms.toFixed(2)} ms`,
    `p99 ${m.p99Ms.toFixed(2)} ms`,
    `${(m.completeness * 100).toFixed(1)} % delivered`,
    ...(m.repeats > 0 ? [`${m.repeats} repeats not counted`] : []),
    `${m.nodeCpuUsPerDelivery.toFixed(2)} µs node CPU/delivery`,
    `client CPU ${m.clientCpuS.toFixed(1)} s`,
  ].join(', ');
}
