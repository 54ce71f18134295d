import { type Feature, STYLE_KEYS } from '@meridian/protocol';

/** Properties that are not words a person would search for: styling and the feed layer id. */
const NOT_TEXT: ReadonlySet<string> = new Set<string>([...STYLE_KEYS, 'layer']);

/** Case- and accent-insensitive: "meeting" finds "Meeting point", "lyon" finds "Lyön". */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** A property value as the words a person would type for it: text, numbers and yes/no alike. */
export function valueText(value: unknown): string {
  return typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : '';
}

interface Haystacks {
  title: string;
  rest: string;
}

// Features are immutable (an op makes a new object), so each one is folded once, not per keystroke:
// a filter over 100,000 features is then a pass of substring tests.
const folded = new WeakMap<Feature, Haystacks>();

/** Every searchable word of a feature: title, description and any other text or number property. */
function haystacks(feature: Feature): Haystacks {
  const cached = folded.get(feature);
  if (cached) return cached;
  const { title, ...others } = feature.properties as Record<string, unknown>;
  const rest = Object.entries(others)
    .filter(([key]) => !NOT_TEXT.has(key))
    .map(([, value]) => valueText(value))
    .join(' ');
  const result = { title: fold(typeof title === 'string' ? title : ''), rest: fold(rest) };
  folded.set(feature, result);
  return result;
}

/**
 * The map's features that match every word of the query, best first: the title itself, a title
 * that starts with the query, then a title that contains every word, then matches in other properties. Newest
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
    const rank =
      title === phrase
        ? 0
        : title.startsWith(phrase)
          ? 1
          : words.every((word) => title.includes(word))
            ? 2
            : 3;
    ranked.push({ feature, rank, order });
  }
  ranked.sort((a, b) => a.rank - b.rank || b.order - a.order);
  return ranked.slice(0, limit).map((entry) => entry.feature);
}
