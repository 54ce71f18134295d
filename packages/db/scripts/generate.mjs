// Generates the Prisma client into src/generated/prisma, offline.
// The Prisma CLI insists on locating a Rust schema-engine binary before it runs any command, and
// downloads one when none is configured; that host is unreachable here and `generate` never runs
// the engine. So we point PRISMA_SCHEMA_ENGINE_BINARY at a file that exists (node itself) unless
// the caller set it already.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const prismaCli = require.resolve('prisma/build/index.js');
const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

const result = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', 'prisma/schema.prisma'], {
  cwd: packageDir,
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
    PRISMA_GENERATE_NO_HINTS: '1',
  },
});
if (result.error) throw result.error;
process.exit(result.status ?? 1);
