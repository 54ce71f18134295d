/**
 * The audience run at a tiny load, so it cannot rot: three nodes, 60 viewers (in two viewer
 * processes), 2 editors for two seconds. It asserts that every op reached every viewer and that
 * viewers were counted, not listed — never how fast.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runAudience } from './audience/run.ts';
import { type Deployment, systemById } from './systems/catalog.ts';
import { type BenchRedis, startRedis } from './systems/redis.ts';
import { runCleanups } from './systems/spawn.ts';

let redis: BenchRedis;
let deployment: Deployment;

beforeAll(async () => {
  redis = await startRedis(null);
  deployment = await systemById('meridian-durable').start({
    nodes: 3,
    redis,
    cpus: null,
    runId: `audiencesmoke${Date.now().toString(36)}`,
  });
}, 240_000);

afterAll(async () => {
  await deployment?.stop();
  await redis?.process.stop();
  await runCleanups();
});

it('delivers every op to every viewer, and counts the viewers instead of listing them', async () => {
  const report = await runAudience(deployment, {
    viewers: 60,
    editors: 2,
    opsPerEditorPerS: 5,
    cursorHz: 10,
    durationMs: 2_000,
    joinConcurrency: 30,
    // Two viewer processes, so the split (and the sum over processes) is exercised too.
    viewerProcesses: 2,
    viewerCpus: null,
  });
  expect(report.opsCommitted).toBeGreaterThan(0);
  expect(report.deliveryRatio).toBe(1);
  expect(report.viewerCloses).toBe(0);
  expect(report.viewerProcesses).toBe(2);
  expect(report.watchingSeenByEditor).toBe(60);
}, 120_000);
