import { type Feature, type JsonValue, STYLE_KEYS } from '@meridian/protocol';

/** A run of plain text, or a link (http and https only: never javascript:, data: or the like). */
export type TextPart = { text: string } | { text: string; href: string };

export interface PopupContent {
  title: string;
  description: TextPart[];
  /** The feature's link (`url`), when it has one. */
  link: string | null;
  /** The other properties, as shown in a small table: key, then text parts of the value. */
  rows: { key: string; value: TextPart[] }[];
  /** Rows left out past MAX_POPUP_ROWS. */
  more: number;
}

export const MAX_POPUP_ROWS = 20;
const MAX_VALUE_CHARS = 300;
/** Shown elsewhere in the popup, or style rather than information. */
const NOT_ROWS: ReadonlySet<string> = new Set<string>([
  'title',
  'description',
  'url',
  'layer',
  ...STYLE_KEYS,
]);
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

/** Text with its http(s) URLs as links; everything else stays text (rendered with textContent, never as markup). */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index ?? 0;
    if (start > last) parts.push({ text: text.slice(last, start) });
    const href = safeHref(match[0]);
    parts.push(href ? { text: match[0], href } : { text: match[0] });
    last = start + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

/** The URL when it parses as http or https, else null. */
export function safeHref(candidate: string): string | null {
  try {
    const url = new URL(candidate);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function valueText(value: JsonValue): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** What a feature's popup shows. */
export function popupContent(feature: Feature): PopupContent {
  const { properties } = feature;
  const entries = Object.entries(properties).filter(
    (entry): entry is [string, JsonValue] =>
      !NOT_ROWS.has(entry[0]) && entry[1] !== undefined && entry[1] !== null,
  );
  return {
    title: properties.title ?? '',
    description: linkify(properties.description ?? ''),
    link: properties.url ? safeHref(properties.url) : null,
    rows: entries.slice(0, MAX_POPUP_ROWS).map(([key, value]) => ({ key, value: linkify(valueText(value)) })),
    more: Math.max(0, entries.length - MAX_POPUP_ROWS),
  };
}
