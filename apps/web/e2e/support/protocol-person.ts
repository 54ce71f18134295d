import type { MeridianClient } from '@meridian/protocol/client';
import { joinedClient, sessionToken } from './api.ts';

/** Someone on the map through the protocol client (how a script or another app joins), joined. */
export async function protocolPerson(
  realtimeUrl: string,
  mapId: string,
  key: string,
  name: string,
): Promise<MeridianClient> {
  return joinedClient(realtimeUrl, {
    mapId,
    token: await sessionToken(realtimeUrl, mapId, key),
    user: { name, color: '#0e7490' },
  });
}
