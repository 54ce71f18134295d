import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../client.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PGlite data folder after initdb, with no migration applied, closed: tests copy it. */
    pgliteTemplate: string;
  }
}

/**
 * Vitest global setup. initdb in Wasm is most of what opening a new PGlite folder costs (seconds
 * each, tens of seconds on a loaded machine) and every integration file runs it once per file:
 * run it once per run instead. The template stays unmigrated, so the files that test migrations
 * still start from an empty database; `client` and `pglite-thread` tests keep creating their
 * folders from nothing, so a fresh initdb is still covered.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'meridian-db-pglite-template-'));
  const db = await openDatabase({ dataDir, migrate: false });
  await db.close();
  project.provide('pgliteTemplate', dataDir);
  return () => rm(dataDir, { recursive: true, force: true });
}
