/**
 * Bulk import (issue #11), side by side in one run: the importer with the current pacing (several
 * chunks in flight, the bulk admission budget), the same with one chunk in flight (the pacing
 * before), and on Postgres the floor, `psql \copy` of the same rows. See scenarios/bulk-import.ts.
 *
 *   npm run bench:import -w @meridian/bench -- [--db=pglite,postgres] [--counts=10000,100000]
 *     [--windows=6,1] [--frames=1048576,65536] [--snapshot] [--no-pin]
 *
 * `--frames`: the importer's chunk frame limit in bytes, side by side: the bulk frames of protocol
 * v4 (what the server announces, LIMITS.MAX_BULK_FRAME_BYTES) against the plain 64 KiB frames
 * chunks had before, each against the same server.
 *
 * Goal (issue #11): 100,000 in ≤ 10 s on this 2-core machine (measured here without a browser).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIMITS } from '@meridian/protocol';
import { DEFAULT_BULK_WINDOW } from '@meridian/protocol/client';
import { machineInfo } from './report/machine.ts';
import { type ImportDb, type ImportRun, runImport } from './scenarios/bulk-import.ts';
import { runCleanups } from './systems/spawn.ts';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

function table(runs: ImportRun[]): string {
  const s = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
  return [
    '| features | db | chunks in flight | chunk frame | chunks | first chunk → last at 2nd client | features/s | commit per chunk | server CPU | clients CPU | transient / final refusals | all delivered, equal | `psql \\copy` floor | snapshot frame |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
    ...runs.map(
      (r) =>
        `| ${r.count.toLocaleString('en')} | ${r.db} | ${r.bulkWindow} | ${r.chunks} | ${s(r.importMs)} | ${r.featuresPerS.toLocaleString('en')} | ${r.commitMsPerChunk === null ? '–' : `${r.commitMsPerChunk.toFixed(1)} ms`} | ${r.serverCpuS.toFixed(1)} s | ${r.clientsCpuS.toFixed(1)} s | ${r.transientRefusals} / ${r.finalRefusals} | ${r.delivered ? 'yes' : 'NO'}, ${r.equal ? 'yes' : 'NO'} | ${s(r.copyFloorMs)} | ${r.snapshotBytes === null ? '–' : `${(r.snapshotBytes / 1e6).toFixed(1)} MB`} |`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (key: string) => argv.find((a) => a.startsWith(`--${key}=`))?.split('=', 2)[1];
  const dbs = (value('db') ?? 'postgres,pglite').split(',') as ImportDb[];
  const counts = (value('counts') ?? '10000,100000').split(',').map(Number);
  const windows = (value('windows') ?? `${DEFAULT_BULK_WINDOW},1`).split(',').map(Number);
  const frames = (value('frames') ?? `${LIMITS.MAX_BULK_FRAME_BYTES}`).split(',').map(Number);
  const pin = !argv.includes('--no-pin');
  const snapshot = argv.includes('--snapshot');
  const runs: ImportRun[] = [];
  for (const count of counts) {
    for (const db of dbs) {
      const variants = windows.flatMap((bulkWindow) =>
        frames.map((frameBytes) => ({ bulkWindow, frameBytes })),
      );
      for (const [i, { bulkWindow, frameBytes }] of variants.entries()) {
        process.stderr.write(
          `import of ${count} on ${db}, ${bulkWindow} chunk(s) in flight, ${frameBytes}-byte frames…\n`,
        );
        const floor = db === 'postgres' && i === 0;
        runs.push(
          await runImport({ db, count, pin, bulkWindow, frameBytes, snapshot: snapshot && i === 0, floor }),
        );
        process.stderr.write(`${table(runs.slice(-1)).split('\n').at(-1)}\n`);
      }
    }
  }
  process.stdout.write(`${table(runs)}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    path.join(RESULTS_DIR, 'bulk-import.json'),
    JSON.stringify({ machine: machineInfo(), runs }, null, 2),
  );
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void runCleanups().finally(() => process.exit(130));
  });
}

main()
  .catch((error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
