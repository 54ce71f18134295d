import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { run } from './processes.ts';

/** Latest modification time of any file under the given paths (directories walked). */
function newestMtime(paths: string[]): number {
  let newest = 0;
  const visit = (entry: string) => {
    if (!existsSync(entry)) return;
    const stat = statSync(entry);
    if (stat.isDirectory()) {
      for (const child of readdirSync(entry)) if (child !== 'node_modules') visit(path.join(entry, child));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const p of paths) visit(p);
  return newest;
}

/**
 * The e2e tests run against the production build. Build it when it is missing or older than
 * any source it is made from (the web app, the protocol package it bundles, its config).
 */
export async function ensureProductionBuild(
  webDir: string,
  repoRoot: string,
  logFile: string,
): Promise<'fresh' | 'built'> {
  const buildId = path.join(webDir, '.next', 'BUILD_ID');
  const sources = [
    path.join(webDir, 'src'),
    path.join(webDir, 'next.config.ts'),
    path.join(webDir, 'package.json'),
    path.join(webDir, 'scripts', 'prepare-public.ts'),
    path.join(repoRoot, 'packages', 'protocol', 'src'),
  ];
  const generated = [
    'maplibre-gl-worker.mjs',
    'basemap-overview.geojson',
    'basemap-detail.geojson',
    'maki-icons.json',
  ].map((f) => path.join(webDir, 'public', f));
  const fresh =
    existsSync(buildId) &&
    generated.every((f) => existsSync(f)) &&
    statSync(buildId).mtimeMs > newestMtime(sources);
  if (fresh) return 'fresh';
  await run('npm', ['run', 'build'], { cwd: webDir, env: { NEXT_TELEMETRY_DISABLED: '1' }, logFile });
  return 'built';
}
