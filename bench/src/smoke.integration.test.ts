/**
 * The benchmark at a tiny load, so it cannot rot: every system, three nodes (the
 * single-node ceiling alone), a dozen clients, a second of broadcasts. It asserts that
 * every message reached every client it should have — never how fast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBroadcast } from './scenarios/broadcast.ts';
import { type OpenBench, openBench } from './scenarios/harness.ts';
import { MODES } from './scenarios/modes.ts';
import { SYSTEMS } from './systems/catalog.ts';

const NODES = 3;
const config = MODES.smoke;
const only = process.env.BENCH_SMOKE_SYSTEMS?.split(',');
const systems = SYSTEMS.filter((s) => only?.includes(s.id) ?? true);

let bench: OpenBench;

beforeAll(async () => {
  bench = await openBench({ config, pin: false, workers: 2 });
});

afterAll(async () => {
  await bench?.close();
});

describe('benchmark smoke run', () => {
  it.each(systems.map((s) => [s.label, s] as const))('%s delivers every message', async (_label, system) => {
    const { ctx } = bench;
    const deployment = await system.start({
      nodes: system.fixedNodes ?? NODES,
      redis: ctx.redis,
      cpus: null,
      runId: ctx.runId,
    });
    const { fanout } = await runBroadcast(ctx, system, deployment, config.fanout).finally(() =>
      deployment.stop(),
    );
    const { clients, ratePerS, durationMs } = config.fanout;
    expect(fanout.sent).toBe(Math.floor((ratePerS * durationMs) / 1000));
    expect(fanout.expected).toBe(fanout.sent * system.receiversPerMessage(clients));
    expect(fanout.delivered).toBe(fanout.expected);
    expect(fanout.unexpectedCloses).toBe(0);
    expect(fanout.serverErrors).toBe(0);
  });
});
