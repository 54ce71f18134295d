/** Create a map straight through the realtime service's HTTP API (test setup, not the UI path). */
export async function createMap(
  realtimeUrl: string,
  name: string,
): Promise<{ id: string; editKey: string; viewKey: string }> {
  const response = await fetch(`${realtimeUrl}/api/maps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (!response.ok)
    throw new Error(`creating a map failed: HTTP ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { map: { id: string }; editKey: string; viewKey: string };
  return { id: body.map.id, editKey: body.editKey, viewKey: body.viewKey };
}

export const mapLink = (webUrl: string, mapId: string, key: string) =>
  `${webUrl}/m/${encodeURIComponent(mapId)}?key=${encodeURIComponent(key)}`;

/** A session token for a share key, as the web server gets one for a page. */
export async function sessionToken(realtimeUrl: string, mapId: string, key: string): Promise<string> {
  const response = await fetch(`${realtimeUrl}/api/maps/${mapId}/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key }),
  });
  return ((await response.json()) as { token: string }).token;
}
