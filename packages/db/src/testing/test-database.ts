import { afterAll, beforeAll } from 'vitest';
import { type Database, openDatabase } from '../client.ts';
import type { TestDatabase } from './backends.ts';

/**
 * For the enclosing `describe`: a fresh database of one backend (a `BACKENDS` entry's `create`),
 * created and opened before its tests, closed and dropped after them. `opened` hands it over once
 * it exists (the block keeps it in a `let`). Apart from backends.ts, which the benchmarks under
 * bench/ import outside Vitest.
 */
export function useTestDatabase(create: () => Promise<TestDatabase>, opened: (db: Database) => void): void {
  let target: TestDatabase | undefined;
  let db: Database | undefined;
  beforeAll(async () => {
    target = await create();
    db = await openDatabase(target.options);
    opened(db);
  });
  afterAll(async () => {
    await db?.close();
    await target?.drop();
  });
}
