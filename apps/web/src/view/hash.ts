/**
 * The map's view in the URL fragment, `#zoom/lat/lng`, so a shared link opens where it was
 * shared. The fragment never reaches the server, which keeps it out of logs.
 */
export interface HashView {
  zoom: number;
  lat: number;
  lng: number;
}

const MAX_ZOOM = 24;

/** Read `#zoom/lat/lng` (extra `/bearing/pitch` parts are ignored); undefined when it is not one. */
export function parseViewHash(hash: string): HashView | undefined {
  const parts = hash.replace(/^#/, '').split('/');
  if (parts.length < 3) return undefined;
  const [zoom, lat, lng] = parts
    .slice(0, 3)
    .map((part) => (/^-?\d+(\.\d+)?$/.test(part) ? Number(part) : Number.NaN)) as [number, number, number];
  if (!(zoom >= 0 && zoom <= MAX_ZOOM) || !(lat >= -90 && lat <= 90) || !Number.isFinite(lng))
    return undefined;
  return { zoom, lat, lng: wrapLongitude(lng) };
}

/** Write a view as `#zoom/lat/lng`, with as many decimals as the zoom makes visible (about a pixel). */
export function formatViewHash(view: HashView): string {
  const decimals = Math.max(0, Math.ceil((view.zoom * Math.LN2 + Math.log(512 / 360 / 0.5)) / Math.LN10));
  const fixed = (value: number, places: number) => trimZeros(value.toFixed(places));
  return `#${fixed(view.zoom, 2)}/${fixed(view.lat, decimals)}/${fixed(wrapLongitude(view.lng), decimals)}`;
}

function trimZeros(text: string): string {
  const trimmed = text.includes('.') ? text.replace(/\.?0+$/, '') : text;
  return trimmed === '-0' ? '0' : trimmed;
}

/** Bring any longitude into [-180, 180]. */
export function wrapLongitude(lng: number): number {
  // Leave in-range values untouched: the modulo arithmetic would add rounding noise.
  if (lng >= -180 && lng <= 180) return lng;
  const wrapped = ((((lng + 180) % 360) + 360) % 360) - 180;
  return wrapped === -180 && lng > 0 ? 180 : wrapped;
}
