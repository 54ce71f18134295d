import type { Feature } from '@meridian/protocol';
import { fold, searchFeatures, valueText } from './feature-search.ts';

/** Search every field (title first, then description and the other properties). */
export const ANY_FIELD = '';

/**
 * The features a list or table shows: all of them newest first when the query is blank; else
 * those matching every word of it, in any field (best first, see `searchFeatures`) or in one
 * property (newest first).
 */
export function filterFeatures(
  features: ReadonlyMap<string, Feature>,
  query: string,
  field: string,
): Feature[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...features.values()].reverse();
  if (field === ANY_FIELD) return searchFeatures(features.values(), query, Number.POSITIVE_INFINITY);
  const out: Feature[] = [];
  for (const feature of features.values()) {
    const value = fold(valueText((feature.properties as Record<string, unknown>)[field]));
    if (value && words.every((word) => value.includes(word))) out.push(feature);
  }
  return out.reverse();
}
