import { describe, expect, it } from 'vitest';
import { forgetMap, loadRecentMaps, MAX_RECENT_MAPS, rememberMap } from './recent-maps.ts';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
  };
}

const map = (id: string, openedAt: number, role: 'view' | 'edit' = 'edit') => ({
  id,
  name: `Map ${id}`,
  path: `/m/${id}?key=${role}-key`,
  role,
  openedAt,
});

describe('recent maps', () => {
  it('lists the most recently opened first, once per map, capped', () => {
    const storage = memoryStorage();
    for (let i = 0; i < MAX_RECENT_MAPS + 5; i++) rememberMap(storage, map(`m${i}`, i));
    rememberMap(storage, map('m10', 1000));
    const list = loadRecentMaps(storage);
    expect(list).toHaveLength(MAX_RECENT_MAPS);
    expect(list[0]?.id).toBe('m10');
    expect(new Set(list.map((m) => m.id)).size).toBe(list.length);
  });

  it('keeps the edit link when the same map is later opened with a view link', () => {
    const storage = memoryStorage();
    rememberMap(storage, map('a', 1, 'edit'));
    rememberMap(storage, { ...map('a', 2, 'view'), name: 'Renamed' });
    expect(loadRecentMaps(storage)).toEqual([{ ...map('a', 2, 'edit'), name: 'Renamed' }]);
  });

  it('forgets a map and survives damaged storage', () => {
    const storage = memoryStorage();
    rememberMap(storage, map('a', 1));
    expect(forgetMap(storage, 'a')).toEqual([]);
    storage.setItem('meridian.recentMaps', '{"oops":1}');
    expect(loadRecentMaps(storage)).toEqual([]);
    storage.setItem('meridian.recentMaps', JSON.stringify([{ id: 'x', path: 'https://evil.test' }]));
    expect(loadRecentMaps(storage)).toEqual([]);
  });
});
