/**
 * Which layers this person has hidden on a map: kept in the browser (localStorage, per map), never
 * sent. Storage may be missing or full (private windows); hiding then lasts for the page only.
 */
const key = (mapId: string) => `meridian:hidden-layers:${mapId}`;

/** At most this many ids are kept per map (a map has at most 120 layers; stale ids are harmless). */
const MAX_HIDDEN = 200;

export function loadHiddenLayers(storage: Pick<Storage, 'getItem'> | null, mapId: string): Set<string> {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(key(mapId)) ?? '[]');
    return new Set(
      Array.isArray(parsed) ? parsed.filter((id) => typeof id === 'string').slice(0, MAX_HIDDEN) : [],
    );
  } catch {
    return new Set();
  }
}

export function saveHiddenLayers(
  storage: Pick<Storage, 'setItem' | 'removeItem'> | null,
  mapId: string,
  hidden: ReadonlySet<string>,
): void {
  try {
    if (hidden.size === 0) storage?.removeItem(key(mapId));
    else storage?.setItem(key(mapId), JSON.stringify([...hidden].slice(0, MAX_HIDDEN)));
  } catch {
    // Quota or a disabled storage: the choice holds for this page only.
  }
}

/** The hidden set with `id` shown or hidden. */
export function toggled(hidden: ReadonlySet<string>, id: string): Set<string> {
  const next = new Set(hidden);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}
