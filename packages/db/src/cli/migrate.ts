// `npm run migrate -w @meridian/db`: applies pending migrations to DATABASE_URL, or to the embedded
// PGlite folder under MERIDIAN_DATA_DIR (default: the repository's .data, as the realtime service
// uses) when DATABASE_URL is unset. Stop the realtime service first when it runs on PGlite: only
// one process may open that folder.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../client.ts';
import { migrate } from '../migrations/apply.ts';

const REPO_DATA_DIR = fileURLToPath(new URL('../../../../.data', import.meta.url));
// npm runs workspace scripts inside the workspace; INIT_CWD is where the command was typed.
const invokedFrom = process.env.INIT_CWD ?? process.cwd();
const databaseUrl = process.env.DATABASE_URL || undefined;
const dataDir = process.env.MERIDIAN_DATA_DIR
  ? resolve(invokedFrom, process.env.MERIDIAN_DATA_DIR)
  : REPO_DATA_DIR;

try {
  const db = await openDatabase({ databaseUrl, dataDir, migrate: false });
  try {
    const { applied } = await migrate(db);
    const target = db.kind === 'postgres' ? 'Postgres' : `PGlite in ${dataDir}/pglite`;
    if (applied.length === 0) console.log(`${target}: already up to date`);
    for (const name of applied) console.log(`${target}: applied ${name}`);
  } finally {
    await db.close();
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
