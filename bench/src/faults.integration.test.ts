/**
 * The fault benchmark at a tiny size, so it cannot rot: a few editors, three nodes, a few
 * seconds of faults of every kind. It asserts what the full run reports — nothing lost,
 * nothing duplicated, every client in the same state — never how fast.
 */
import { expect, it } from 'vitest';
import { runFaults } from './scenarios/faults.ts';

it('under a few seconds of random faults, no edit is lost or duplicated and every client converges', async () => {
  const report = await runFaults({
    editors: 6,
    nodes: 3,
    durationMs: 8_000,
    editIntervalMs: 300,
    faultGapMs: [300, 800],
    faultDownMs: [300, 1_000],
    seed: 7,
    settleTimeoutMs: 90_000,
  });
  expect(report.made).toBeGreaterThan(50);
  expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3);
  expect(report.unsettled).toBe(0);
  expect(report.lost).toBe(0);
  expect(report.duplicated).toBe(0);
  // Editors only touch their own features: a final refusal or a feature not as its editor last
  // set it would mean ops were reordered.
  expect(report.refused).toBe(0);
  expect(report.staleFeatures).toBe(0);
  expect(report.distinctHashes).toBe(1);
  expect(report.committed + report.refused).toBe(report.made);
}, 240_000);
