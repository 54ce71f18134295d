import { MeridianClient, type WebSocketConstructor } from '@meridian/protocol/client';
import WebSocket from 'ws';
import { sessionToken } from './api.ts';

/** Someone on the map through the protocol client (how a script or another app joins), joined. */
export async function protocolPerson(
  realtimeUrl: string,
  mapId: string,
  key: string,
  name: string,
): Promise<MeridianClient> {
  const client = new MeridianClient({
    url: `${realtimeUrl.replace(/^http/, 'ws')}/ws`,
    mapId,
    token: await sessionToken(realtimeUrl, mapId, key),
    user: { name, color: '#0e7490' },
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    pingIntervalMs: 0,
  });
  await new Promise<void>((resolve) => {
    client.on('status', (status) => status.kind === 'joined' && resolve());
    client.connect();
  });
  return client;
}
