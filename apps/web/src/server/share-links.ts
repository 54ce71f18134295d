/** Name of the cookie that keeps a map's view key on the device that created the map. */
export const viewKeyCookie = (mapId: string) => `meridian_view_${mapId}`;

/** A share link's path and query; the browser prefixes its own origin. */
export const shareLinkPath = (mapId: string, key: string) =>
  `/m/${encodeURIComponent(mapId)}?key=${encodeURIComponent(key)}`;
