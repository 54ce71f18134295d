/**
 * The benchmark at a tiny load, so it cannot rot: every system, three nodes (the
 * single-node ceiling alone), a dozen clients, a second of broadcasts. It asserts that
 * every message reached every client it should have — never how fast.
 */
import { describe, expect, it } from 'vitest';
import { runBroadcast } from './scenarios/broadcast.ts';
import { withBench } from './scenarios/harness.ts';
import { MODES } from './scenarios/modes.ts';
import { SYSTEMS, type SystemSpec } from './systems/catalog.ts';

const NODES = 3;

async function smoke(system: SystemSpec) {
  const config = MODES.smoke;
  return withBench({ config, pin: false, workers: 2 }, async (ctx) => {
    const deployment = await system.start({
      nodes: system.fixedNodes ?? NODES,
      redis: ctx.redis,
      cpus: null,
      runId: ctx.runId,
    });
    try {
      return await runBroadcast(ctx, system, deployment, config.fanout);
    } finally {
      await deployment.stop();
    }
  });
}

const systems = SYSTEMS.filter((s) => process.env.BENCH_SMOKE_SYSTEMS?.split(',').includes(s.id) ?? true);

describe('benchmark smoke run', () => {
  it.each(systems.map((s) => [s.label, s] as const))('%s delivers every message', async (_label, system) => {
    const { fanout } = await smoke(system);
    const { clients, senders, ratePerS, durationMs } = MODES.smoke.fanout;
    expect(senders).toBeLessThanOrEqual(clients);
    expect(fanout.sent).toBe(Math.floor((ratePerS * durationMs) / 1000));
    expect(fanout.expected).toBe(fanout.sent * system.receiversPerMessage(clients));
    expect(fanout.delivered).toBe(fanout.expected);
    expect(fanout.unexpectedCloses).toBe(0);
    expect(fanout.serverErrors).toBe(0);
  });
});
