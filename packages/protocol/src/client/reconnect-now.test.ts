import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { MeridianClient, type WebSocketConstructor } from './meridian-client.ts';

/** A loopback WebSocket server that counts connections and closes each one at once (1001). */
async function closingServer(): Promise<{ url: string; connections: () => number; stop(): Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  let count = 0;
  server.on('connection', (socket) => {
    count++;
    socket.close(1001, 'going away');
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    connections: () => count,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('MeridianClient.reconnectNow', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('reconnects at once instead of waiting out a long backoff, and only when one is waiting', async () => {
    const server = await closingServer();
    cleanups.push(() => server.stop());
    // A backoff of ten minutes: the second connection can only come from reconnectNow.
    const client = new MeridianClient({
      url: server.url,
      mapId: 'm',
      token: 't',
      user: { name: 'A', color: '#000000' },
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      backoff: { initialMs: 600_000, maxMs: 600_000, factor: 1 },
      pingIntervalMs: 0,
    });
    cleanups.push(() => client.close());
    const closes: number[] = [];
    client.on('close', (event) => closes.push(event.code));

    client.connect();
    await expect.poll(() => closes.length).toBe(1);
    expect(client.status.kind).toBe('backoff');
    expect(server.connections()).toBe(1);

    client.reconnectNow();
    // A second call while that attempt is under way must not open a second socket.
    client.reconnectNow();
    await expect.poll(() => closes.length).toBe(2);
    expect(server.connections()).toBe(2);
    expect(client.status.kind).toBe('backoff');

    // Closed by the user: nothing to reconnect.
    client.close();
    client.reconnectNow();
    expect(client.status.kind).toBe('idle');
    expect(server.connections()).toBe(2);
  });
});
