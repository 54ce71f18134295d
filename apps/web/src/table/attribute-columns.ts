import { type Feature, FeaturePropertiesPatch, type JsonValue, STYLE_KEYS } from '@meridian/protocol';

/** A table wider than this is unreadable; the rest of the keys are counted, not shown. */
export const MAX_COLUMNS = 40;

const FIRST = ['title', 'description'];
const LAST: ReadonlySet<string> = new Set<string>(STYLE_KEYS);

/**
 * The table's columns: the union of the features' property keys, title and description first,
 * then the others by how many features have them (then by name), the style keys last. `layer`
 * is the server's bookkeeping, not data. `hidden` counts the keys past `max`.
 */
export function attributeColumns(
  features: Iterable<Feature>,
  max = MAX_COLUMNS,
): { columns: string[]; hidden: number } {
  const counts = new Map<string, number>();
  for (const feature of features)
    for (const key of Object.keys(feature.properties)) counts.set(key, (counts.get(key) ?? 0) + 1);
  counts.delete('layer');
  const rank = (key: string) => {
    const first = FIRST.indexOf(key);
    return first >= 0 ? first - FIRST.length : LAST.has(key) ? 1 : 0;
  };
  const keys = [...counts.keys()].sort(
    (a, b) => rank(a) - rank(b) || (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || a.localeCompare(b),
  );
  return { columns: keys.slice(0, max), hidden: Math.max(0, keys.length - max) };
}

/** A cell as text: strings as they are, numbers and booleans as written, objects as JSON. */
export function cellText(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * What a typed cell means, keeping the kind the value had: a number stays a number when the text
 * is one, a boolean stays a boolean, JSON stays JSON; a new value that reads as a number (and
 * would be written back the same way: "01234" stays text) is a number. Empty removes the key.
 */
export function parseCell(text: string, previous: JsonValue | undefined): JsonValue | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (typeof previous === 'boolean' && (trimmed === 'true' || trimmed === 'false')) return trimmed === 'true';
  if (typeof previous === 'object' && previous !== null) {
    try {
      return JSON.parse(trimmed) as JsonValue;
    } catch {
      return text;
    }
  }
  if ((typeof previous === 'number' || previous === undefined || previous === null) && NUMBER.test(trimmed)) {
    const number = Number(trimmed);
    if (Number.isFinite(number) && (typeof previous === 'number' || String(number) === trimmed))
      return number;
  }
  return text;
}

/** The patch for one edited cell, or why it cannot be (a colour that is not one, too long…). */
export function cellPatch(
  key: string,
  text: string,
  previous: JsonValue | undefined,
): { patch: FeaturePropertiesPatch } | { problem: string } {
  const patch = { [key]: parseCell(text, previous) } as FeaturePropertiesPatch;
  const checked = FeaturePropertiesPatch.safeParse(patch);
  if (!checked.success)
    return { problem: `${key}: ${checked.error.issues[0]?.message ?? 'not a valid value'}` };
  return { patch };
}
