import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOp, createMapState, stateHash } from '@meridian/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../client.ts';
import { openPglite } from '../drivers/pglite.ts';
import { openPostgres } from '../drivers/postgres.ts';
import type { Driver } from '../drivers/script-transaction.ts';
import { loadSnapshot } from '../maps.ts';
import { commitOp, readOps } from '../op-log.ts';
import { BACKENDS, type TestDatabase } from '../testing/backends.ts';
import { migrate } from './apply.ts';
import { MIGRATIONS_DIR, readMigrations } from './folder.ts';

const V2 = '20261203101500_simplestyle_properties';

function openDriver(kind: 'postgres' | 'pglite', target: TestDatabase): Promise<Driver> {
  if (kind === 'postgres' && target.options.databaseUrl) {
    return Promise.resolve(openPostgres({ url: target.options.databaseUrl, onConnectionError: () => {} }));
  }
  return openPglite(target.options.dataDir ?? '');
}

/** Old (protocol v1) shapes: fixed properties with `color` and `icon`. */
const oldCafe = { title: 'Café', color: '#e4572e', icon: 'cafe' };
const oldOps = [
  {
    kind: 'feature.create',
    feature: {
      type: 'Feature',
      id: 'cafe',
      geometry: { type: 'Point', coordinates: [2.35, 48.85] },
      properties: { title: 'Café', color: '#112233' },
      version: 0,
    },
  },
  { kind: 'feature.update', id: 'cafe', properties: { color: '#e4572e', icon: 'cafe' } },
  {
    kind: 'feature.create',
    feature: {
      type: 'Feature',
      id: 'park',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 0],
          ],
        ],
      },
      properties: { color: '#00ff00', description: 'green' },
      version: 0,
    },
  },
  { kind: 'feature.update', id: 'park', properties: { color: null } },
];

describe.each(BACKENDS)('migration to protocol v2 properties on $kind', ({ kind, create }) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('moves colour and icon of stored features and op-log records to simplestyle keys; replay equals the rows', async () => {
    const target = await create();
    cleanup.push(() => target.drop());
    const previous = await mkdtemp(join(tmpdir(), 'meridian-v1-'));
    cleanup.push(() => rm(previous, { recursive: true, force: true }));
    await cp(MIGRATIONS_DIR, previous, { recursive: true });
    await rm(join(previous, V2), { recursive: true });
    expect((await readMigrations()).some((m) => m.name === V2)).toBe(true);

    const driver = await openDriver(kind, target);
    await migrate(driver, { migrationsDir: previous });
    await driver.scriptTransaction(async (tx) => {
      await tx.query(`INSERT INTO "Map" (id, name, seq, "updatedAt") VALUES ('m1', 'Old', 4, now())`);
      await tx.query(
        `INSERT INTO "Feature" ("mapId", id, geometry, properties, version, "createdSeq", "updatedSeq", "updatedAt")
         VALUES ('m1', 'cafe', $1, $2, 2, 1, 2, now()), ('m1', 'park', $3, $4, 2, 3, 4, now())`,
        [
          JSON.stringify(oldOps[0]?.feature?.geometry),
          JSON.stringify(oldCafe),
          JSON.stringify(oldOps[2]?.feature?.geometry),
          JSON.stringify({ description: 'green' }),
        ],
      );
      for (const [i, op] of oldOps.entries()) {
        await tx.query(
          `INSERT INTO "Op" ("mapId", seq, "clientId", "opId", kind, payload) VALUES ('m1', $1, 'c1', $2, $3, $4)`,
          [i + 1, `o${i + 1}`, op.kind, JSON.stringify(op)],
        );
      }
    });
    await driver.close();

    const db = await openDatabase(target.options);
    cleanup.push(() => db.close());
    const snapshot = await loadSnapshot(db, 'm1');
    expect(snapshot?.features.find((f) => f.id === 'cafe')?.properties).toEqual({
      title: 'Café',
      'marker-color': '#e4572e',
      stroke: '#e4572e',
      fill: '#e4572e',
      'marker-symbol': 'cafe',
    });
    const records = await readOps(db, 'm1', 1, 4);
    expect(records[1]?.op).toEqual({
      kind: 'feature.update',
      id: 'cafe',
      properties: { 'marker-color': '#e4572e', stroke: '#e4572e', fill: '#e4572e', 'marker-symbol': 'cafe' },
    });
    expect(records[3]?.op).toEqual({
      kind: 'feature.update',
      id: 'park',
      properties: { 'marker-color': null, stroke: null, fill: null },
    });
    const replayed = createMapState('Old');
    for (const record of records) expect(applyOp(replayed, record.op).ok).toBe(true);
    expect(stateHash(replayed)).toBe(stateHash(createMapState('Old', snapshot?.features ?? [])));

    // The migrated map takes new ops on top.
    const next = await commitOp(db, {
      mapId: 'm1',
      clientId: 'c2',
      opId: 'n1',
      op: { kind: 'features.delete', ids: ['cafe', 'park'] },
    });
    expect(next).toMatchObject({ status: 'committed', record: { seq: 5 } });
  });
});
