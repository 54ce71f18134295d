import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { Driver } from './script-transaction.ts';

/**
 * Embedded Postgres (PGlite) persisted in `<dataDir>/pglite`, for running with no database server.
 * PGlite is a single in-process connection over files that only one process may open at a time:
 * the realtime service owns this folder, and the web server reaches the data through the realtime
 * service's HTTP API instead of opening it too.
 */
export async function openPglite(dataDir: string): Promise<Driver> {
  const folder = resolve(join(dataDir, 'pglite'));
  await mkdir(folder, { recursive: true });
  const pglite = await PGlite.create(folder);

  return {
    adapter: new PrismaPGlite(pglite),
    scriptTransaction: (work) =>
      pglite.transaction((tx) =>
        work({
          async exec(script) {
            await tx.exec(script);
          },
          async query<Row>(sql: string, params: unknown[] = []) {
            const result = await tx.query<Row>(sql, params);
            return result.rows;
          },
        }),
      ),
    close: () => pglite.close(),
  };
}
