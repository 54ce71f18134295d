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

describe('openSession', () => {
  const session = {
    token: 't',
    role: 'edit',
    map: { id: 'Map123', name: 'Lyon' },
    expiresAt: 1_800_000_000_000,
  };

  it('returns the session with expiresAt in epoch milliseconds, as the realtime service sends it', async () => {
    next = { status: 200, body: session };
    await expect(createRealtimeApi(baseUrl).openSession('Map123', 'key')).resolves.toEqual(session);
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/api/maps/Map123/sessions' });
  });

  it('refuses an expiry that is not epoch milliseconds (one shape, no guessing)', async () => {
    next = { status: 200, body: { ...session, expiresAt: '2027-01-15T10:00:00.000Z' } };
    await expect(createRealtimeApi(baseUrl).openSession('Map123', 'key')).rejects.toMatchObject({
      kind: 'bad-response',
    });
  });

  it('shows the realtime service’s message for a refused request', async () => {
    next = { status: 400, body: { error: { code: 'INVALID_MESSAGE', message: 'key: too long' } } };
    await expect(createRealtimeApi(baseUrl).openSession('Map123', 'key')).rejects.toMatchObject({
      kind: 'bad-request',
      message: 'key: too long',
    });
  });
});
