import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ensureProductionBuild } from './support/build.ts';
import { startCluster } from './support/cluster.ts';
import { run } from './support/processes.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Web servers of the running cluster; web[i] is backed by realtime node i. */
    webUrls: string[];
    realtimeUrls: string[];
    artifactsDir: string;
  }
}

const webDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = path.resolve(webDir, '../..');

/**
 * Once per run: Chromium present, the production build fresh, and a cluster of two realtime
 * nodes (Postgres + Redis) with a Next server in front of each. Everything started is stopped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const artifactsDir = path.join(webDir, 'test-artifacts');
  const logDir = path.join(artifactsDir, 'logs');
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });

  await run('bash', [path.join(repoRoot, 'scripts', 'ensure-chromium.sh')], { cwd: repoRoot });
  const build = ensureProductionBuild(webDir, repoRoot, path.join(logDir, 'next-build.log'));
  // If the cluster fails first, its error is the one reported; the build settles on its own.
  build.catch(() => {});
  // Nodes start (and migrate) while Next builds; the web servers wait for the build.
  const cluster = await startCluster({ repoRoot, webDir, logDir, buildReady: build });
  project.provide('webUrls', cluster.web);
  project.provide('realtimeUrls', cluster.realtime);
  project.provide('artifactsDir', artifactsDir);
  return () => cluster.stop();
}
