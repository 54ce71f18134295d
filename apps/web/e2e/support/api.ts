import {
  MeridianClient,
  type MeridianClientOptions,
  type WebSocketConstructor,
} from '@meridian/protocol/client';
import WebSocket from 'ws';

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

/** A session token for a share key, as the web server exchanges one. */
export async function sessionToken(realtimeUrl: string, mapId: string, key: string): Promise<string> {
  const response = await fetch(`${realtimeUrl}/api/maps/${encodeURIComponent(mapId)}/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key }),
  });
  if (!response.ok) throw new Error(`session: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

/**
 * The protocol client in Node over `ws`, as a script or another app uses it, already joined.
 * Pings are off: a test or a benchmark ends long before an idle timeout.
 */
export async function joinedClient(
  realtimeUrl: string,
  options: Omit<MeridianClientOptions, 'url' | 'WebSocket'>,
): Promise<MeridianClient> {
  const client = new MeridianClient({
    url: `${realtimeUrl.replace(/^http/, 'ws')}/ws`,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    pingIntervalMs: 0,
    ...options,
  });
  await new Promise<void>((resolve) => {
    client.on('status', (status) => status.kind === 'joined' && resolve());
    client.connect();
  });
  return client;
}
