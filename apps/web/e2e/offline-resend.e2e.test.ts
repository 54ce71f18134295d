import { MeridianClient, type WebSocketConstructor } from '@meridian/protocol/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { createMap, sessionToken } from './support/api.ts';

/** Past the realtime service's 256 requests in flight per connection (and its 200-message burst). */
const OFFLINE_EDITS = 300;

// The web app's client, in Node against a real realtime node: no browser needed to make edits
// offline, and this is the code path the browser takes when it comes back.
describe('edits made offline, more than the server takes at once', () => {
  const [realtime = ''] = inject('realtimeUrls');
  const clients: MeridianClient[] = [];

  afterAll(() => {
    for (const client of clients) client.close();
  });

  it(`all ${OFFLINE_EDITS} arrive, in order, on one connection, none refused`, async () => {
    const map = await createMap(realtime, 'Offline resend');
    const client = new MeridianClient({
      url: `${realtime.replace(/^http/, 'ws')}/ws`,
      mapId: map.id,
      getToken: () => sessionToken(realtime, map.id, map.editKey),
      user: { name: 'Offline', color: '#0e7490' },
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      pingIntervalMs: 0,
    });
    clients.push(client);
    const problems: string[] = [];
    client.on('error', (event) => problems.push(`error ${event.code}: ${event.message}`));
    client.on('opRejected', (event) => problems.push(`reject ${event.code}: ${event.message}`));
    client.on('close', (event) => problems.push(`close ${event.code} ${event.reason}`));

    // Never connected yet is offline as far as the client knows: every edit waits in its queue.
    for (let i = 0; i < OFFLINE_EDITS; i++) {
      client.createFeature({ type: 'Point', coordinates: [i / 10, 0] }, { title: `edit ${i}` });
    }
    expect(client.pendingCount).toBe(OFFLINE_EDITS);

    client.connect();
    await expect.poll(() => client.pendingCount, { timeout: 60_000, interval: 250 }).toBe(0);
    expect(problems).toEqual([]);
    expect(client.status.kind).toBe('joined');
    expect(client.confirmedFeatures.size).toBe(OFFLINE_EDITS);
    // The server committed them in the order they were made.
    const titles = [...client.confirmedFeatures.values()].map((f) => f.properties.title);
    expect(titles).toEqual(Array.from({ length: OFFLINE_EDITS }, (_, i) => `edit ${i}`));
  });
});
