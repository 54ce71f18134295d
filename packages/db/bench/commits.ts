// Commits per second on one map, the CPU they cost, and how long the event loop stalled meanwhile.
// `npx tsx bench/commits.ts [ops=2000] [concurrency=50]` from packages/db: embedded PGlite in a temp
// folder, or the Postgres server in DATABASE_URL (a scratch database is made and dropped).
import { commitOp, createMap, openDatabase } from '../src/index.ts';
import { createPgliteFolder, createPostgresDatabase } from '../src/testing/backends.ts';

const ops = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 50);
const target = process.env.DATABASE_URL ? await createPostgresDatabase() : await createPgliteFolder();
const db = await openDatabase(target.options);
try {
  const { map } = await createMap(db, { name: 'bench' });
  let next = 0;
  let refused = 0;
  const writer = async () => {
    while (next < ops) {
      const i = next++;
      const op = {
        kind: 'feature.create' as const,
        feature: {
          type: 'Feature' as const,
          id: `f${i}`,
          geometry: { type: 'Point' as const, coordinates: [i % 180, 0] },
          properties: {},
          version: 1,
        },
      };
      const result = await commitOp(db, { mapId: map.id, clientId: 'bench', opId: `op${i}`, op }).catch(
        () => ({ status: 'refused' }) as const,
      );
      if (result.status !== 'committed') refused++;
    }
  };
  // A 10 ms timer: the longest gap between its firings is the longest the event loop was stalled.
  let last = performance.now();
  let maxGapMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, 10);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, writer));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(timer);
  maxGapMs = Math.max(maxGapMs, performance.now() - last);
  console.log(
    JSON.stringify({
      backend: db.kind,
      ops,
      concurrency,
      refused,
      commitsPerSecond: Math.round(ops / seconds),
      // CPU of this process (PGlite's worker thread included) per commit: less at the mercy of
      // other work on the machine than the rate is.
      cpuMsPerCommit: Number(((cpu.user + cpu.system) / 1000 / ops).toFixed(3)),
      timerTicks: ticks,
      eventLoopMaxStallMs: Math.round(maxGapMs),
    }),
  );
} finally {
  await db.close();
  await target.drop();
}
