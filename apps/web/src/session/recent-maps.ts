import type { Role } from '@meridian/protocol';

/** A map opened on this device, remembered so the home page can list it. */
export interface RecentMap {
  id: string;
  name: string;
  /** The share link it was opened with (path and query), so reopening keeps the role. */
  path: string;
  role: Role;
  openedAt: number;
}

const STORAGE_KEY = 'meridian.recentMaps';
export const MAX_RECENT_MAPS = 20;

function isRecentMap(value: unknown): value is RecentMap {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'string' &&
    typeof v.name === 'string' &&
    typeof v.path === 'string' &&
    v.path.startsWith('/m/') &&
    (v.role === 'view' || v.role === 'edit') &&
    typeof v.openedAt === 'number'
  );
}

export function loadRecentMaps(storage: Pick<Storage, 'getItem'>): RecentMap[] {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isRecentMap).sort((a, b) => b.openedAt - a.openedAt) : [];
  } catch {
    return [];
  }
}

/**
 * Remember a map as just opened. An edit link is never replaced by a view link for the same map:
 * opening someone's view link must not cost this device its edit access.
 */
export function rememberMap(storage: Pick<Storage, 'getItem' | 'setItem'>, map: RecentMap): RecentMap[] {
  const existing = loadRecentMaps(storage);
  const previous = existing.find((m) => m.id === map.id);
  const keepEdit = previous?.role === 'edit' && map.role === 'view';
  const entry = keepEdit ? { ...previous, name: map.name, openedAt: map.openedAt } : map;
  const next = [entry, ...existing.filter((m) => m.id !== map.id)].slice(0, MAX_RECENT_MAPS);
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify(next));
  } catch {
    // Storage full or refused: the list is a convenience, the map itself still works.
  }
  return next;
}

export function forgetMap(storage: Pick<Storage, 'getItem' | 'setItem'>, id: string): RecentMap[] {
  const next = loadRecentMaps(storage).filter((m) => m.id !== id);
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify(next));
  } catch {
    // See rememberMap.
  }
  return next;
}
