/** Name of the cookie that keeps a map's view key on the device that created the map. */
export const viewKeyCookie = (mapId: string) => `meridian_view_${mapId}`;

/** How long a device remembers a map's view key. */
export const VIEW_KEY_COOKIE_MAX_AGE_S = 365 * 24 * 60 * 60;

/** A share link's path and query; the browser prefixes its own origin. */
export const shareLinkPath = (mapId: string, key: string) =>
  `/m/${encodeURIComponent(mapId)}?key=${encodeURIComponent(key)}`;
