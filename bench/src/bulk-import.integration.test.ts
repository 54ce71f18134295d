/**
 * The bulk-import benchmark at a tiny size, so it cannot rot: on PGlite and on Postgres, with
 * several chunks in flight and with one. It asserts that every feature reached the second client
 * and both hold the same state, with nothing refused for good — never how fast.
 */
import { describe, expect, it } from 'vitest';
import { runImport } from './scenarios/bulk-import.ts';

describe('bulk import benchmark, smoke size', () => {
  it.each([
    ['pglite', 6],
    ['postgres', 6],
    ['postgres', 1],
  ] as const)('%s, %i chunk(s) in flight: every feature reaches the watcher', async (db, bulkWindow) => {
    const run = await runImport({ db, count: 2_000, pin: false, bulkWindow, floor: db === 'postgres' });
    expect(run.chunks).toBeGreaterThan(1);
    expect(run.delivered).toBe(true);
    expect(run.equal).toBe(true);
    expect(run.finalRefusals).toBe(0);
    if (db === 'postgres') expect(run.copyFloorMs).not.toBeNull();
  });
});
