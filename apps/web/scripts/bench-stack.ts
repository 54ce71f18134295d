/**
 * What the browser benchmarks (`bench-features.ts`, `bench-render.ts`) share: their arguments,
 * their folders, and the stack they measure: the production build and one real realtime node
 * with its per-connection rate limit lifted, so seeding is not what they time.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureProductionBuild } from '../e2e/support/build.ts';
import { type Cluster, startCluster } from '../e2e/support/cluster.ts';

/** `--name N` from the command line (NaN when absent, so `|| default` picks the default). */
export const argument = (name: string) => Number(process.argv[process.argv.indexOf(name) + 1]);

export const webDir = fileURLToPath(new URL('..', import.meta.url));
export const repoRoot = path.resolve(webDir, '../..');
/** Screenshots and the build and server logs of a run. */
export const artifactsDir = path.join(webDir, 'test-artifacts');
const logDir = path.join(artifactsDir, 'bench-logs');

export async function startBenchStack(): Promise<Cluster & { realtimeUrl: string; webUrl: string }> {
  mkdirSync(logDir, { recursive: true });
  console.log('building (if stale) and starting one realtime node + web server…');
  const build = ensureProductionBuild(webDir, repoRoot, path.join(logDir, 'next-build.log'));
  const cluster = await startCluster({
    repoRoot,
    webDir,
    logDir,
    buildReady: build,
    nodes: 1,
    realtimeEnv: {
      RATE_LIMIT_MSGS_PER_S: '100000',
      RATE_LIMIT_BURST: '100000',
      RATE_LIMIT_MAX_EXCESS: '100000',
    },
  });
  return { ...cluster, realtimeUrl: cluster.realtime[0] ?? '', webUrl: cluster.web[0] ?? '' };
}

export const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
