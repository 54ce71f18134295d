import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealtimeApi, RealtimeApiError } from './realtime-api.ts';

// A real loopback HTTP server standing in for the realtime service's answers, so the client's
// request shape and its mapping of statuses are checked over a socket.
let server: Server;
let baseUrl: string;
const seen: { method?: string; url?: string; headers: IncomingHttpHeaders }[] = [];
let next: { status: number; body: unknown } = { status: 201, body: { viewKey: 'fresh-key' } };

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(next.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(next.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('mintViewKey', () => {
  it('posts to the map’s view-keys endpoint with the edit token as a bearer token', async () => {
    next = { status: 201, body: { viewKey: 'fresh-key' } };
    await expect(createRealtimeApi(baseUrl).mintViewKey('Map123', 'tok.en.x')).resolves.toBe('fresh-key');
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      url: '/api/maps/Map123/view-keys',
      headers: { authorization: 'Bearer tok.en.x' },
    });
  });

  it.each([
    [403, 'invalid-key'],
    [401, 'invalid-key'],
    [404, 'not-found'],
    [500, 'unavailable'],
  ])('maps HTTP %i to a %s error', async (status, kind) => {
    next = { status, body: { error: { code: 'X', message: 'no' } } };
    const failure = await createRealtimeApi(baseUrl)
      .mintViewKey('Map123', 't')
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RealtimeApiError);
    expect((failure as RealtimeApiError).kind).toBe(kind);
  });

  it('refuses an answer without a view key', async () => {
    next = { status: 201, body: { nope: true } };
    await expect(createRealtimeApi(baseUrl).mintViewKey('Map123', 't')).rejects.toMatchObject({
      kind: 'bad-response',
    });
  });
});
