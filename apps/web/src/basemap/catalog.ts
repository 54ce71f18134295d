/**
 * The basemaps a person can choose from: OpenFreeMap's keyless, openly licensed vector styles, the
 * embedded offline basemap, and any styles the operator configures (MAP_STYLES). Pure data, built
 * on the server from the environment and handed to the browser as props.
 */

export interface Basemap {
  id: string;
  name: string;
  /** A MapLibre style URL, or null for the embedded offline basemap. */
  url: string | null;
}

export const OFFLINE_BASEMAP_ID = 'offline';

/** OpenFreeMap: OpenStreetMap data in the OpenMapTiles schema, no key, no registration. */
export const OPENFREEMAP_BASEMAPS: readonly Basemap[] = [
  { id: 'streets', name: 'Streets', url: 'https://tiles.openfreemap.org/styles/liberty' },
  { id: 'light', name: 'Light', url: 'https://tiles.openfreemap.org/styles/positron' },
  { id: 'dark', name: 'Dark', url: 'https://tiles.openfreemap.org/styles/dark' },
];

const OFFLINE: Basemap = { id: OFFLINE_BASEMAP_ID, name: 'Offline (Natural Earth)', url: null };

/** A configured style, as `MAP_STYLES` lists it. */
export interface ConfiguredStyle {
  name: string;
  url: string;
}

/** `MAP_STYLE_URL`'s word for "the embedded basemap" (for air-gapped deployments and tests). */
export const OFFLINE_KEYWORD = 'offline';

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-|-$/g, '') || 'style';

/**
 * The list and the default choice. `styleUrl` (MAP_STYLE_URL) picks the default: unset means
 * OpenFreeMap's streets, `offline` the embedded basemap, a URL a style of its own ("Default").
 */
export function basemapCatalog(
  styleUrl: string | undefined,
  configured: readonly ConfiguredStyle[],
): { basemaps: Basemap[]; defaultId: string } {
  const basemaps: Basemap[] = [];
  let defaultId = OPENFREEMAP_BASEMAPS[0]?.id ?? OFFLINE_BASEMAP_ID;
  if (styleUrl === OFFLINE_KEYWORD) defaultId = OFFLINE_BASEMAP_ID;
  else if (styleUrl) {
    basemaps.push({ id: 'default', name: 'Default', url: styleUrl });
    defaultId = 'default';
  }
  basemaps.push(...OPENFREEMAP_BASEMAPS, OFFLINE);
  const taken = new Set(basemaps.map((b) => b.id));
  for (const style of configured) {
    let id = slug(style.name);
    for (let n = 2; taken.has(id); n++) id = `${slug(style.name)}-${n}`;
    taken.add(id);
    basemaps.push({ id, name: style.name, url: style.url });
  }
  return { basemaps, defaultId };
}

/** The basemap to show: the person's stored choice when it still exists, else the default. */
export function chooseBasemap(
  basemaps: readonly Basemap[],
  defaultId: string,
  storedId: string | null,
): Basemap {
  const stored = storedId ? basemaps.find((b) => b.id === storedId) : undefined;
  return stored ?? basemaps.find((b) => b.id === defaultId) ?? OFFLINE;
}

/**
 * Parse MAP_STYLES: a JSON array of `{"name","url"}`, or `Name=url` pairs separated by newlines
 * or `;` (e.g. `Satellite=https://api.maptiler.com/maps/satellite/style.json?key=…`).
 */
export function parseMapStyles(raw: string): ConfiguredStyle[] {
  const text = raw.trim();
  if (text === '') return [];
  const entries: unknown[] = text.startsWith('[')
    ? (JSON.parse(text) as unknown[])
    : text
        .split(/[;\n]/)
        .map((pair) => pair.trim())
        .filter(Boolean)
        .map((pair) => {
          const at = pair.indexOf('=');
          return at > 0 ? { name: pair.slice(0, at).trim(), url: pair.slice(at + 1).trim() } : { name: pair };
        });
  return entries.map((entry, index) => {
    const { name, url } = (entry ?? {}) as { name?: unknown; url?: unknown };
    if (typeof name !== 'string' || name === '' || typeof url !== 'string' || !isStyleUrl(url))
      throw new Error(
        `entry ${index + 1}: expected a name and an http(s):// style URL, as Name=https://…/style.json`,
      );
    return { name, url };
  });
}

function isStyleUrl(url: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

/** Where a person's choice is kept on this device. */
export const BASEMAP_STORAGE_KEY = 'meridian.basemap';
