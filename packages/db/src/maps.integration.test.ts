import { ErrorCode, MeridianError } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import type { Database } from './client.ts';
import { hashShareKey } from './keys.ts';
import {
  createMap,
  createShareKey,
  getMap,
  listMaps,
  loadSnapshot,
  resolveShareKey,
  revokeShareKey,
} from './maps.ts';
import { BACKENDS } from './testing/backends.ts';
import { useTestDatabase } from './testing/test-database.ts';

describe.each(BACKENDS)('maps on $kind', ({ create }) => {
  let db: Database;
  useTestDatabase(create, (opened) => {
    db = opened;
  });

  it('creates a map with a short random id, seq 0 and two distinct share keys', async () => {
    const created = await createMap(db, { name: '  Trip to Lyon ' });
    expect(created.map).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9]{12}$/),
      name: 'Trip to Lyon',
      seq: 0,
    });
    expect(created.editKey).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(created.viewKey).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(created.editKey).not.toBe(created.viewKey);
    expect(await getMap(db, created.map.id)).toEqual(created.map);
  });

  it('stores only the sha256 of each key', async () => {
    const { map, editKey, viewKey } = await createMap(db, { name: 'Secrets' });
    const rows = await db.prisma.shareKey.findMany({ where: { mapId: map.id }, orderBy: { role: 'asc' } });
    expect(rows.map((row) => [row.role, row.keyHash])).toEqual([
      ['view', hashShareKey(viewKey)],
      ['edit', hashShareKey(editKey)],
    ]);
    expect(JSON.stringify(rows)).not.toContain(editKey);
    expect(JSON.stringify(rows)).not.toContain(viewKey);
  });

  it('resolves keys to their role, and wrong, foreign or revoked keys to null', async () => {
    const a = await createMap(db, { name: 'A' });
    const b = await createMap(db, { name: 'B' });
    expect(await resolveShareKey(db, a.map.id, a.editKey)).toBe('edit');
    expect(await resolveShareKey(db, a.map.id, a.viewKey)).toBe('view');
    expect(await resolveShareKey(db, a.map.id, b.editKey)).toBeNull();
    expect(await resolveShareKey(db, a.map.id, `${a.editKey}x`)).toBeNull();
    expect(await resolveShareKey(db, a.map.id, '')).toBeNull();
    expect(await resolveShareKey(db, a.map.id, 'x'.repeat(10_000))).toBeNull();
    expect(await resolveShareKey(db, 'no-such-map', a.editKey)).toBeNull();

    expect(await revokeShareKey(db, a.map.id, a.editKey)).toBe(true);
    expect(await revokeShareKey(db, a.map.id, a.editKey)).toBe(false);
    expect(await resolveShareKey(db, a.map.id, a.editKey)).toBeNull();
    expect(await resolveShareKey(db, a.map.id, a.viewKey)).toBe('view');
  });

  it('mints a new share key for an existing map; the original keys keep working', async () => {
    const a = await createMap(db, { name: 'Shared again' });
    const b = await createMap(db, { name: 'Other' });
    const fresh = await createShareKey(db, a.map.id, 'view');
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(fresh).not.toBe(a.viewKey);
    expect(await resolveShareKey(db, a.map.id, fresh ?? '')).toBe('view');
    expect(await resolveShareKey(db, b.map.id, fresh ?? '')).toBeNull();
    expect(await resolveShareKey(db, a.map.id, a.viewKey)).toBe('view');
    const rows = await db.prisma.shareKey.findMany({ where: { mapId: a.map.id } });
    expect(rows.map((row) => row.keyHash)).toContain(hashShareKey(fresh ?? ''));
    expect(await createShareKey(db, 'NoSuchMap123', 'view')).toBeNull();
  });

  it('refuses an empty or overlong name with a typed error', async () => {
    for (const name of ['', '   ', 'x'.repeat(81)]) {
      const error = await createMap(db, { name }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MeridianError);
      expect((error as MeridianError).code).toBe(ErrorCode.INVALID_MESSAGE);
    }
  });

  it('gets null for a missing map and lists the maps that exist in the order asked', async () => {
    const a = await createMap(db, { name: 'First' });
    const b = await createMap(db, { name: 'Second' });
    expect(await getMap(db, 'missing')).toBeNull();
    expect(await listMaps(db, [b.map.id, 'missing', a.map.id, b.map.id])).toEqual([b.map, a.map]);
    expect(await listMaps(db, [])).toEqual([]);
  });

  it('snapshots a new map as empty at seq 0, and a missing map as null', async () => {
    const { map } = await createMap(db, { name: 'Empty' });
    expect(await loadSnapshot(db, map.id)).toEqual({
      map: { id: map.id, name: 'Empty' },
      seq: 0,
      features: [],
      layers: [],
    });
    expect(await loadSnapshot(db, 'missing')).toBeNull();
  });
});
