import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOp, createMapState, ErrorCode, stateHash } from '@meridian/protocol';
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

const V3 = (await readMigrations()).find((m) => m.name.endsWith('_user_layers'))?.name ?? '';

function openDriver(kind: 'postgres' | 'pglite', target: TestDatabase): Promise<Driver> {
  if (kind === 'postgres' && target.options.databaseUrl) {
    return Promise.resolve(openPostgres({ url: target.options.databaseUrl, onConnectionError: () => {} }));
  }
  return openPglite(target.options.dataDir ?? '');
}

/** A protocol v2 map: a live-feed layer (no kind in the row or in its layer.add) with one entry. */
const oldLayerAdd = {
  kind: 'layer.add',
  layer: { id: 'quakes', url: 'https://feeds.example/q.atom', name: 'Quakes' },
};
const oldEntry = {
  type: 'Feature',
  id: 'q-1',
  geometry: { type: 'Point', coordinates: [10, 10] },
  properties: { title: 'M5', layer: 'quakes' },
  version: 0,
};
const oldOps = [oldLayerAdd, { kind: 'layer.entries', layerId: 'quakes', features: [oldEntry] }];

describe.each(BACKENDS)('migration to user layers on $kind', ({ kind, create }) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('keeps old layers as feed layers (rows and op log), then takes user-layer ops on top', async () => {
    expect(V3).not.toBe('');
    const target = await create();
    cleanup.push(() => target.drop());
    const previous = await mkdtemp(join(tmpdir(), 'meridian-v2-'));
    cleanup.push(() => rm(previous, { recursive: true, force: true }));
    await cp(MIGRATIONS_DIR, previous, { recursive: true });
    await rm(join(previous, V3), { recursive: true });

    const driver = await openDriver(kind, target);
    await migrate(driver, { migrationsDir: previous });
    await driver.scriptTransaction(async (tx) => {
      await tx.query(`INSERT INTO "Map" (id, name, seq, "updatedAt") VALUES ('m1', 'Old', 2, now())`);
      await tx.query(
        `INSERT INTO "Layer" ("mapId", id, url, name, "createdSeq", "updatedSeq", "updatedAt", etag)
         VALUES ('m1', 'quakes', 'https://feeds.example/q.atom', 'Quakes', 1, 1, now(), 'W/"1"')`,
      );
      await tx.query(
        `INSERT INTO "Feature" ("mapId", id, geometry, properties, version, "createdSeq", "updatedSeq", "updatedAt")
         VALUES ('m1', 'q-1', $1, $2, 1, 2, 2, now())`,
        [JSON.stringify(oldEntry.geometry), JSON.stringify(oldEntry.properties)],
      );
      for (const [i, op] of oldOps.entries()) {
        await tx.query(
          `INSERT INTO "Op" ("mapId", seq, "clientId", "opId", kind, payload) VALUES ('m1', $1, 'feed', $2, $3, $4)`,
          [i + 1, `o${i + 1}`, op.kind, JSON.stringify(op)],
        );
      }
    });
    await driver.close();

    const db = await openDatabase(target.options);
    cleanup.push(() => db.close());
    const snapshot = await loadSnapshot(db, 'm1');
    expect(snapshot?.layers).toEqual([
      { id: 'quakes', kind: 'feed', url: 'https://feeds.example/q.atom', name: 'Quakes' },
    ]);
    // The stored op itself now says what kind of layer it added (not only the parser's default).
    const [stored] = await db.prisma.op.findMany({
      where: { mapId: 'm1', seq: 1 },
      select: { payload: true },
    });
    expect(stored?.payload).toMatchObject({ layer: { kind: 'feed' } });
    const records = await readOps(db, 'm1', 1, 2);
    const replayed = createMapState('Old');
    for (const record of records) expect(applyOp(replayed, record.op).ok).toBe(true);
    expect(stateHash(replayed)).toBe(
      stateHash(createMapState('Old', snapshot?.features ?? [], snapshot?.layers ?? [])),
    );

    // New ops on top: a user layer, a feature in it; the old feed entry stays the feed's.
    const commit = (opId: string, op: Parameters<typeof commitOp>[1]['op']) =>
      commitOp(db, { mapId: 'm1', clientId: 'c2', opId, op });
    expect(
      await commit('n1', {
        kind: 'layer.add',
        layer: { id: 'mine', kind: 'user', name: 'Mine', order: 0, style: {} },
      }),
    ).toMatchObject({ status: 'committed', record: { seq: 3 } });
    expect(
      await commit('n2', { kind: 'feature.update', id: 'q-1', properties: { layer: 'mine' } }),
    ).toMatchObject({
      status: 'rejected',
      code: ErrorCode.FORBIDDEN,
    });
    expect(await commit('n3', { kind: 'layer.update', id: 'mine', style: { fill: '#0a0' } })).toMatchObject({
      status: 'committed',
      record: { seq: 4 },
    });

    // The database itself keeps each kind's columns whole.
    await expect(
      db.prisma
        .$executeRaw`INSERT INTO "Layer" ("mapId", id, kind, url, name, "createdSeq", "updatedSeq", "updatedAt")
        VALUES ('m1', 'bad', 'user', 'https://x.example/', 'Bad', 5, 5, now())`,
    ).rejects.toThrow();
  });
});
