import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { RawWebSocket } from './raw-websocket.ts';

let server: WebSocketServer | null = null;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

function listen(): Promise<number> {
  return new Promise((resolve) => {
    const listening: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () =>
      resolve((listening.address() as AddressInfo).port),
    );
    server = listening;
  });
}

describe('RawWebSocket', () => {
  it('reassembles large, fragmented and back-to-back messages, and answers pings', async () => {
    const port = await listen();
    const big = 'x'.repeat(300_000);
    let pongs = 0;
    let serverClosed: Promise<void> = Promise.resolve();
    server?.on('connection', (ws) => {
      // The client's close can arrive before the server has read the pong queued ahead of it.
      serverClosed = new Promise((resolve) => ws.once('close', () => resolve()));
      ws.on('pong', () => pongs++);
      ws.on('message', (data) => {
        expect(data.toString()).toBe('hello');
        ws.ping();
        ws.send('first', { fin: false });
        ws.send('-second', { fin: true });
        ws.send(big);
        for (let i = 0; i < 50; i++) ws.send(`n${i}`);
        ws.close(4321, 'done');
      });
    });
    const texts: string[] = [];
    const closeCode = await new Promise<number>((resolve, reject) => {
      const socket = new RawWebSocket(
        { host: '127.0.0.1', port, path: '/', localAddress: '127.0.0.2' },
        {
          open: () => socket.send('hello'),
          text: (buf, start, end) => texts.push(buf.toString('utf8', start, end)),
          close: resolve,
          error: reject,
        },
      );
    });
    expect(closeCode).toBe(4321);
    await serverClosed;
    expect(texts[0]).toBe('first-second');
    expect(texts[1]).toBe(big);
    expect(texts.slice(2)).toEqual(Array.from({ length: 50 }, (_, i) => `n${i}`));
    expect(pongs).toBe(1);
  });

  it('reports a refused upgrade as an error', async () => {
    const http = createServer();
    http.on('upgrade', (_req, socket) => {
      // The client resets the connection once it has read the refusal (see terminate()).
      socket.on('error', () => {});
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    const error = await new Promise<Error>((resolve) => {
      new RawWebSocket(
        { host: '127.0.0.1', port, path: '/', localAddress: '127.0.0.1' },
        { open: () => {}, text: () => {}, close: () => {}, error: resolve },
      );
    });
    await new Promise((resolve) => http.close(resolve));
    expect(error.message).toMatch(/upgrade refused: HTTP\/1\.1 403/);
  });
});
