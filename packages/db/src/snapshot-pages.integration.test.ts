import { type Feature, Feature as FeatureSchema } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import type { Database } from './client.ts';
import { createMap, loadSnapshot } from './maps.ts';
import { commitOp } from './op-log.ts';
import { readSnapshotPages, type SnapshotHead } from './snapshot-pages.ts';
import { BACKENDS } from './testing/backends.ts';
import { useTestDatabase } from './testing/test-database.ts';

const SMALL_PAGES = { firstRows: 16, maxRows: 64 };

function feature(i: number): Feature {
  return {
    type: 'Feature',
    id: `f${String(i).padStart(4, '0')}`,
    geometry:
      i % 2 === 0
        ? { type: 'Point', coordinates: [(i % 360) - 180 + 0.125, (i % 170) - 85 + 1e-7] }
        : {
            type: 'LineString',
            coordinates: [
              [i % 10, 1.5],
              [2.25, -(i % 7)],
            ],
          },
    properties: { title: `Feature "${i}", with: commas`, n: i, tags: ['a', 'b'], nested: { ok: true } },
    version: 0,
  };
}

async function seed(db: Database, mapId: string, features: Feature[], perOp = 200): Promise<void> {
  for (let i = 0; i < features.length; i += perOp) {
    const result = await commitOp(db, {
      mapId,
      clientId: 'seed',
      opId: `seed-${i}`,
      op: { kind: 'features.import', features: features.slice(i, i + perOp) },
    });
    if (result.status !== 'committed') throw new Error(`seed: ${JSON.stringify(result)}`);
  }
}

/** Everything a read tells, with each page's texts parsed (and checked to be protocol features). */
async function readAll(
  db: Database,
  mapId: string,
  onPage?: (index: number) => void | Promise<void>,
): Promise<{ found: boolean; head: SnapshotHead | null; pages: Feature[][] }> {
  let head: SnapshotHead | null = null;
  const pages: Feature[][] = [];
  const found = await readSnapshotPages(
    db,
    mapId,
    {
      head: (h) => {
        head = h;
      },
      page: (texts) => {
        pages.push(texts.map((text) => FeatureSchema.parse(JSON.parse(text))));
        return onPage?.(pages.length - 1);
      },
    },
    SMALL_PAGES,
  );
  return { found, head, pages };
}

describe.each(BACKENDS)('snapshot pages on $kind', ({ create }) => {
  let db: Database;
  useTestDatabase(create, (opened) => {
    db = opened;
  });

  it('reads in growing pages, in creation order, exactly the features and head loadSnapshot gives', async () => {
    const { map } = await createMap(db, { name: 'Paged' });
    await seed(
      db,
      map.id,
      Array.from({ length: 500 }, (_, i) => feature(i)),
    );
    await commitOp(db, {
      mapId: map.id,
      clientId: 'c',
      opId: 'del',
      op: { kind: 'feature.delete', id: 'f0003' },
    });
    const { found, head, pages } = await readAll(db, map.id);
    const whole = await loadSnapshot(db, map.id);
    expect(found).toBe(true);
    expect(head).toEqual({ map: whole?.map, seq: whole?.seq, featureCount: 499, layers: whole?.layers });
    expect(pages.map((page) => page.length)).toEqual([16, 32, 64, 64, 64, 64, 64, 64, 64, 3]);
    expect(pages.flat()).toEqual(whole?.features);
  });

  it('holds one state whatever commits while the pages are read; the commit lands after', async () => {
    const { map } = await createMap(db, { name: 'Moving' });
    await seed(
      db,
      map.id,
      Array.from({ length: 300 }, (_, i) => feature(i)),
    );
    const before = await loadSnapshot(db, map.id);
    let commit: Promise<unknown> | null = null;
    const { head, pages } = await readAll(db, map.id, (index) => {
      if (index !== 1) return;
      commit = commitOp(db, {
        mapId: map.id,
        clientId: 'c',
        opId: 'move',
        op: { kind: 'feature.delete', id: 'f0299' },
      });
      // Postgres commits beside the read; embedded PGlite's single connection makes it wait for the end.
      if (db.kind === 'postgres') return commit.then(() => undefined);
    });
    expect(await commit).toMatchObject({ status: 'committed', record: { seq: (before?.seq ?? 0) + 1 } });
    expect(head?.seq).toBe(before?.seq);
    expect(pages.flat()).toEqual(before?.features);
    expect((await loadSnapshot(db, map.id))?.features).toHaveLength(299);
  });

  it('answers false for a missing map, and an empty map with its head only', async () => {
    expect((await readAll(db, 'missing')).found).toBe(false);
    const { map } = await createMap(db, { name: 'Empty' });
    const empty = await readAll(db, map.id);
    expect(empty).toMatchObject({ found: true, head: { seq: 0, featureCount: 0 }, pages: [] });
  });

  it('ends the read with what the sink throws, and storage stays usable', async () => {
    const { map } = await createMap(db, { name: 'Refused' });
    await seed(
      db,
      map.id,
      Array.from({ length: 100 }, (_, i) => feature(i)),
    );
    const failure = await readAll(db, map.id, () => {
      throw new Error('nobody wants it');
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((await readAll(db, map.id)).pages.flat()).toHaveLength(100);
  });
});
