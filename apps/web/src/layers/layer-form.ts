import { FeedLayer, LIMITS } from '@meridian/protocol';

export type LayerInput =
  | { ok: true; url: string; name: string }
  | { ok: false; field: 'url' | 'name'; message: string };

const URL_RULE = FeedLayer.shape.url;
const NAME_RULE = FeedLayer.shape.name;

/** A name from the feed's address when the person gave none: `quakes.atom` from `…/feeds/quakes.atom`. */
export function nameFromUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const last = parsed.pathname.split('/').filter(Boolean).at(-1);
    return decodeURIComponent(last ?? '') || parsed.hostname;
  } catch {
    return '';
  }
}

/**
 * Check the "Add live feed" form with the protocol's own `Layer` rules (so the server will not
 * refuse what passes here), plus what only the map knows: the layer count and duplicates.
 * Messages are for people, naming the field and what it needs.
 */
export function validateLayerInput(
  rawUrl: string,
  rawName: string,
  existing: Iterable<Pick<FeedLayer, 'url'>>,
): LayerInput {
  const url = rawUrl.trim();
  if (!url) return { ok: false, field: 'url', message: 'Enter the address of a feed (https://…).' };
  const urlCheck = URL_RULE.safeParse(url);
  if (!urlCheck.success) {
    if (url.length > LIMITS.MAX_URL_CHARS)
      return {
        ok: false,
        field: 'url',
        message: `The address is longer than ${LIMITS.MAX_URL_CHARS} characters.`,
      };
    return {
      ok: false,
      field: 'url',
      message: 'The address must be a full http:// or https:// URL, like https://example.org/feed.atom.',
    };
  }
  const list = [...existing];
  if (list.some((layer) => layer.url === urlCheck.data))
    return { ok: false, field: 'url', message: 'This feed is already a layer of this map.' };
  if (list.length >= LIMITS.MAX_LAYERS_PER_MAP)
    return {
      ok: false,
      field: 'url',
      message: `A map has at most ${LIMITS.MAX_LAYERS_PER_MAP} live layers; remove one first.`,
    };
  const name = rawName.trim() || nameFromUrl(urlCheck.data).slice(0, LIMITS.MAX_NAME_CHARS);
  if (name.length > LIMITS.MAX_NAME_CHARS)
    return {
      ok: false,
      field: 'name',
      message: `The name is longer than ${LIMITS.MAX_NAME_CHARS} characters.`,
    };
  const nameCheck = NAME_RULE.safeParse(name);
  if (!nameCheck.success) return { ok: false, field: 'name', message: 'Give the layer a name.' };
  return { ok: true, url: urlCheck.data, name: nameCheck.data };
}
