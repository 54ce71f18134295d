import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root (infra/test/support -> ../../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function repoPath(...parts: string[]): string {
  return path.join(REPO_ROOT, ...parts);
}

export function readRepoFile(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

export interface PackageJson {
  name: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readRepoFile(dir, 'package.json')) as PackageJson;
}

/** Images copy the repository to /app: map a path inside the image back to the repository. */
export function imagePathToRepo(imagePath: string): string | undefined {
  const normalized = path.posix.normalize(imagePath);
  if (normalized === '/app') return REPO_ROOT;
  if (!normalized.startsWith('/app/')) return undefined;
  return repoPath(normalized.slice('/app/'.length));
}
