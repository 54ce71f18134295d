import { ErrorCode, MeridianError, type Op } from '@meridian/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseOn, openDatabase } from '../client.ts';
import { createMap, loadSnapshot } from '../maps.ts';
import { commitOp, readOps } from '../op-log.ts';
import { createPgliteFolder, createPgliteFromTemplate } from '../testing/backends.ts';
import { openPglite } from './pglite.ts';
import { openPgliteThread, PGLITE_WORKER_URL } from './pglite-thread.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A worker-thread database, migrated through the worker; initdb comes from the run's template. */
async function openThreadDatabase() {
  const folder = await createPgliteFromTemplate();
  cleanups.push(folder.drop);
  const driver = await openPgliteThread(folder.dataDir);
  const db = await databaseOn(driver, 'pglite');
  cleanups.push(() => db.close());
  return { db, driver, folder };
}

function createOp(i: number): Op {
  return {
    kind: 'feature.create',
    feature: {
      type: 'Feature',
      id: `f${i}`,
      geometry: { type: 'Point', coordinates: [i % 180, 0] },
      properties: {},
      version: 1,
    },
  };
}

/** Counts event-loop turns (setImmediate callbacks) until stopped. */
function countTurns() {
  let turns = 0;
  let running = true;
  const turn = () => {
    if (!running) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  return {
    stop() {
      running = false;
      return turns;
    },
  };
}

describe('embedded PGlite in a worker thread', () => {
  it('keeps the event loop turning while a long batch of commits runs', async () => {
    const { db } = await openThreadDatabase();
    const { map } = await createMap(db, { name: 'busy' });
    const COMMITS = 200;
    const turns = countTurns();
    const results = await Promise.all(
      Array.from({ length: COMMITS }, (_, i) =>
        commitOp(db, { mapId: map.id, clientId: 'c', opId: `o${i}`, op: createOp(i) }),
      ),
    );
    const turned = turns.stop();
    expect(results.every((result) => result.status === 'committed')).toBe(true);
    // In the main thread, PGlite runs a whole batch without yielding to the event loop (0 turns);
    // from the worker, every statement's answer is a message, and the loop turns in between.
    expect(turned).toBeGreaterThanOrEqual(COMMITS);
    expect((await readOps(db, map.id, 1, COMMITS)).map((record) => record.seq)).toEqual(
      Array.from({ length: COMMITS }, (_, i) => i + 1),
    );
  });

  it('keeps the event loop turning during one long statement', async () => {
    const { db } = await openThreadDatabase();
    const turns = countTurns();
    await db.prisma.$queryRaw`SELECT count(*) FROM generate_series(1, 3000000)`;
    expect(turns.stop()).toBeGreaterThan(0);
  });

  it('applies migrations through the worker and keeps the data across reopening', async () => {
    const { db, folder } = await openThreadDatabase();
    const { map } = await createMap(db, { name: 'kept' });
    await commitOp(db, { mapId: map.id, clientId: 'c', opId: 'o1', op: createOp(1) });
    await db.close();
    // The same folder opened in this thread (the driver the migration tooling uses) sees it all.
    const inProcess = await openPglite(folder.dataDir);
    cleanups.push(() => inProcess.close());
    const rows = await inProcess.scriptTransaction((tx) =>
      tx.query<{ migration_name: string; seq: number }>(
        'SELECT migration_name, (SELECT seq FROM "Map") AS seq FROM _prisma_migrations',
      ),
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]?.seq).toBe(1);
  });

  it('rolls a failed script transaction back', async () => {
    const { driver } = await openThreadDatabase();
    const failed = driver.scriptTransaction(async (tx) => {
      await tx.exec('CREATE TABLE half_done (id int)');
      throw new Error('stop here');
    });
    await expect(failed).rejects.toThrow('stop here');
    const tables = await driver.scriptTransaction((tx) =>
      tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'half_done'`),
    );
    expect(tables).toEqual([{ n: 0 }]);
  });

  it('starts the worker from the file openDatabase is given, and refuses a missing one typed', async () => {
    const folder = await createPgliteFolder();
    cleanups.push(folder.drop);
    const missing = await openDatabase({ dataDir: folder.dataDir, pgliteWorker: 'no-such-worker.mjs' }).catch(
      (error: unknown) => error,
    );
    expect(missing).toMatchObject({ code: ErrorCode.STORAGE_UNAVAILABLE, message: /no-such-worker/ });
    const db = await openDatabase({ dataDir: folder.dataDir, pgliteWorker: PGLITE_WORKER_URL.pathname });
    cleanups.push(() => db.close());
    expect((await createMap(db, { name: 'found' })).map.seq).toBe(0);
  });

  it('answers STORAGE_UNAVAILABLE, never a hung promise, when the worker dies mid-commit', async () => {
    const { db, driver } = await openThreadDatabase();
    const { map } = await createMap(db, { name: 'doomed' });
    const pending = Array.from({ length: 20 }, (_, i) =>
      commitOp(db, { mapId: map.id, clientId: 'c', opId: `o${i}`, op: createOp(i) }).then(
        (result) => result.status,
        (error: unknown) => error,
      ),
    );
    await driver.terminate();
    const outcomes = await Promise.all(pending);
    const failures = outcomes.filter((outcome) => outcome instanceof MeridianError);
    expect(failures.length).toBeGreaterThan(0);
    for (const outcome of outcomes) {
      if (outcome instanceof MeridianError) expect(outcome.code).toBe(ErrorCode.STORAGE_UNAVAILABLE);
      else expect(outcome).toBe('committed');
    }
    const later = await loadSnapshot(db, map.id).catch((error: unknown) => error);
    expect(later).toBeInstanceOf(MeridianError);
    expect((later as MeridianError).code).toBe(ErrorCode.STORAGE_UNAVAILABLE);
    await expect(db.ping()).rejects.toMatchObject({ code: ErrorCode.STORAGE_UNAVAILABLE });
  });
});
