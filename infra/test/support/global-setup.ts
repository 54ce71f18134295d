import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { REPO_ROOT, repoPath } from './repo.ts';

/**
 * Before any test file: the Debian tools the tests run for real, and the generated Prisma client
 * the realtime nodes import (`npm test` makes it through turbo; a direct vitest run may not have).
 */
export default function setup(): void {
  execFileSync('bash', [repoPath('infra/scripts/ensure-tools.sh'), 'docker-compose', 'haproxy'], {
    stdio: 'inherit',
  });
  if (!existsSync(repoPath('packages/db/src/generated/prisma/client.ts'))) {
    execFileSync('npm', ['run', 'generate', '-w', '@meridian/db'], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
}
