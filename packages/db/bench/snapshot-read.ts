// A cold join's storage side (issue #11): how soon the first snapshot chunk can leave, and when all
// of them can, reading a map of N features the way main did (Prisma `findMany` of every row inside
// `loadSnapshot`, then `SnapshotChunkEncoder` stringifying the features) beside the paged read
// (`readSnapshotPages`: Postgres builds each feature's JSON, the node packs the texts into frames
// as each page arrives), alternating, in one process.
// `npx tsx bench/snapshot-read.ts [features=100000] [reps=3]` from packages/db: the Postgres server
// in DATABASE_URL (a scratch database is made and dropped), else embedded PGlite in a temp folder.
import { performance } from 'node:perf_hooks';
import { SnapshotChunkEncoder, SnapshotChunkFrames } from '@meridian/protocol';
import { mixedFeatures } from '../../../bench/src/mixed-features.ts';
import { commitOp, createMap, loadSnapshot, openDatabase, readSnapshotPages } from '../src/index.ts';
import { createPgliteFolder, createPostgresDatabase } from '../src/testing/backends.ts';

const count = Number(process.argv[2] ?? 100_000);
const reps = Number(process.argv[3] ?? 3);
const target = process.env.DATABASE_URL ? await createPostgresDatabase() : await createPgliteFolder();
const db = await openDatabase(target.options);

interface Sample {
  firstChunkMs: number;
  allMs: number;
  cpuMs: number;
  chunks: number;
  bytes: number;
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

async function whole(mapId: string): Promise<Sample> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const snapshot = await loadSnapshot(db, mapId);
  if (!snapshot) throw new Error('no map');
  const encoder = new SnapshotChunkEncoder(mapId, snapshot.seq, snapshot.features);
  encoder.chunk(0);
  const firstChunkMs = performance.now() - t0;
  while (!encoder.complete) encoder.chunk(encoder.encodedCount);
  return {
    firstChunkMs,
    allMs: performance.now() - t0,
    cpuMs: cpuMs(cpu),
    chunks: encoder.encodedCount,
    bytes: encoder.encodedChars,
  };
}

async function paged(mapId: string): Promise<Sample> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let frames: SnapshotChunkFrames | null = null;
  let firstChunkMs = Number.NaN;
  await readSnapshotPages(db, mapId, {
    head: (head) => {
      frames = new SnapshotChunkFrames(mapId, head.seq);
    },
    page: (texts) => {
      frames?.append(texts);
      if (Number.isNaN(firstChunkMs) && (frames?.count ?? 0) > 0) firstChunkMs = performance.now() - t0;
    },
  });
  const done = frames as SnapshotChunkFrames | null;
  if (!done) throw new Error('no map');
  done.end();
  return {
    firstChunkMs,
    allMs: performance.now() - t0,
    cpuMs: cpuMs(cpu),
    chunks: done.count,
    bytes: done.chars,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

try {
  const { map } = await createMap(db, { name: 'bench' });
  const features = mixedFeatures(count);
  const seedStart = performance.now();
  for (let i = 0; i < features.length; i += 1000) {
    const result = await commitOp(db, {
      mapId: map.id,
      clientId: 'seed',
      opId: `seed-${i}`,
      op: { kind: 'features.import', features: features.slice(i, i + 1000) },
    });
    if (result.status !== 'committed') throw new Error(`seed: ${JSON.stringify(result)}`);
  }
  console.log(
    `${db.kind}: seeded ${count} features in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
  );
  const samples: Record<'whole' | 'paged', Sample[]> = { whole: [], paged: [] };
  const failures = { whole: 0, paged: 0 };
  for (let rep = 0; rep < reps; rep++) {
    // Alternated, so neither always runs on a warmer cache.
    const order = rep % 2 === 0 ? (['whole', 'paged'] as const) : (['paged', 'whole'] as const);
    for (const variant of order) {
      const t0 = performance.now();
      try {
        const sample = variant === 'whole' ? await whole(map.id) : await paged(map.id);
        samples[variant].push(sample);
        console.log(`rep ${rep + 1} ${variant}: ${JSON.stringify(sample)}`);
      } catch (error) {
        // A loaded machine can take the whole read past Prisma's 15 s transaction timeout.
        failures[variant]++;
        const ms = (performance.now() - t0).toFixed(0);
        console.log(`rep ${rep + 1} ${variant}: failed after ${ms} ms: ${String(error).split('\n')[0]}`);
      }
    }
  }
  const rows = (['whole', 'paged'] as const).map((variant) => {
    const s = samples[variant];
    if (s.length === 0)
      return `| ${count.toLocaleString('en')} | ${db.kind} | ${variant} | - | - | - | - | - | ${reps} of ${reps} |`;
    const label =
      variant === 'whole' ? 'main: loadSnapshot (Prisma) + encoder' : 'paged: readSnapshotPages + frames';
    return `| ${count.toLocaleString('en')} | ${db.kind} | ${label} | ${median(s.map((x) => x.firstChunkMs)).toFixed(0)} ms | ${median(s.map((x) => x.allMs)).toFixed(0)} ms | ${median(s.map((x) => x.cpuMs)).toFixed(0)} ms | ${s[0]?.chunks ?? '-'} | ${((s[0]?.bytes ?? 0) / 1e6).toFixed(1)} MB | ${failures[variant]} of ${reps} |`;
  });
  console.log(
    `\n| features | storage | read | first chunk ready | all chunks ready | node CPU | chunks | chunk bytes | failed |\n|---:|---|---|---:|---:|---:|---:|---:|---:|\n${rows.join('\n')}`,
  );
} finally {
  await db.close();
  await target.drop();
}
