import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '@meridian/db';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated, closed PGlite data folder that tests copy instead of running initdb again. */
    pgliteTemplate: string;
  }
}

/**
 * Creating a PGlite database (initdb in Wasm) takes tens of seconds on the CI machines while
 * reopening one takes a couple: build one migrated template per run and let each test copy it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'meridian-rt-pglite-template-'));
  const db = await openDatabase({ dataDir: dir, migrate: true });
  await db.close();
  project.provide('pgliteTemplate', dir);
  return () => rm(dir, { recursive: true, force: true });
}
