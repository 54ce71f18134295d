/**
 * `npm run bench -- join` at a small size, so it cannot rot: a real node on Postgres, a map of
 * 3,000 features, one join of each kind. It asserts what each join received and that every
 * replica equals the seeded map — never how fast.
 */
import { afterAll, expect, it } from 'vitest';
import { JOIN_VARIANTS, joinTable, runJoinBench } from './join-snapshot.ts';
import { runCleanups } from './systems/spawn.ts';

afterAll(() => runCleanups());

it('joins a 3,000-feature map every way, each replica equal to the map, the stream in many frames', async () => {
  const report = await runJoinBench({ counts: [3000], reps: 1, pin: false });
  expect(report.rows).toHaveLength(JOIN_VARIANTS.length * 2);
  for (const row of report.rows) {
    expect(row.allEqual).toBe(true);
    expect(row.median.wireBytes).toBeGreaterThan(0);
  }
  const row = (variant: string, cache = 'cold') =>
    report.rows.find((r) => r.variant === variant && r.cache === cache);
  expect(row('v3 streamed')?.median.frames).toBeGreaterThan(10);
  // The same JSON either way; deflate sends fewer bytes than that, plain text about as many.
  const plain = row('v3 streamed')?.median;
  const deflate = row('v3 streamed + deflate')?.median;
  expect(deflate?.jsonBytes).toBe(plain?.jsonBytes);
  expect(deflate?.wireBytes).toBeLessThan((plain?.wireBytes ?? 0) / 2);
  expect(plain?.wireBytes).toBeGreaterThanOrEqual(plain?.jsonBytes ?? 0);
  expect(joinTable(report)).toContain('| 3,000 | v3 streamed + deflate | warm |');
});
