import { type Feature, STYLE_KEYS } from '@meridian/protocol';

/** Properties that are not words a person would search for: styling and the feed layer id. */
const NOT_TEXT: ReadonlySet<string> = new Set<string>([...STYLE_KEYS, 'layer']);

/** Case- and accent-insensitive: "meeting" finds "Meeting point", "lyon" finds "Lyön". */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Every searchable word of a feature: title, description and any other text property. */
function haystacks(feature: Feature): { title: string; rest: string } {
  const { title, ...others } = feature.properties as Record<string, unknown>;
  const rest = Object.entries(others)
    .filter(([key, value]) => typeof value === 'string' && !NOT_TEXT.has(key))
    .map(([, value]) => value as string)
    .join(' ');
  return { title: fold(typeof title === 'string' ? title : ''), rest: fold(rest) };
}

/**
 * The map's features that match every word of the query, best first: a title that starts with
 * the query, then a title that contains every word, then matches in other properties. Newest
 * first within a rank (the map's insertion order is creation order).
 */
export function searchFeatures(features: Iterable<Feature>, query: string, limit: number): Feature[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const phrase = words.join(' ');
  const ranked: { feature: Feature; rank: number; order: number }[] = [];
  let order = 0;
  for (const feature of features) {
    order++;
    const { title, rest } = haystacks(feature);
    if (!words.every((word) => title.includes(word) || rest.includes(word))) continue;
    const rank = title.startsWith(phrase) ? 0 : words.every((word) => title.includes(word)) ? 1 : 2;
    ranked.push({ feature, rank, order });
  }
  ranked.sort((a, b) => a.rank - b.rank || b.order - a.order);
  return ranked.slice(0, limit).map((entry) => entry.feature);
}
