import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAddressPolicy } from './address-policy.ts';
import { FetchRefused, safeFetch } from './safe-fetch.ts';

let server: Server;
let base = '';
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/feed') return res.end('<feed/>');
    if (req.url === '/big') return res.end(Buffer.alloc(10_000));
    if (req.url === '/hop') return res.writeHead(302, { location: '/feed' }).end();
    if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    if (req.url === '/to-metadata')
      return res.writeHead(302, { location: 'http://169.254.169.254/latest' }).end();
    if (req.url === '/to-credentials')
      return res.writeHead(302, { location: `http://user:secret@${req.headers.host}/feed` }).end();
    if (req.url === '/slow') return; // never answers
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const loopbackAllowed = createAddressPolicy(['127.0.0.1/32']);
const limits = { timeoutMs: 1000, maxBodyBytes: 1000, maxRedirects: 3 };

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FetchRefused);
  return (error as FetchRefused).reason;
}

describe('safeFetch', () => {
  it('refuses loopback by default, by literal address and by name, without connecting', async () => {
    const before = hits;
    expect(await refusal(safeFetch(`${base}/feed`, createAddressPolicy(), {}, limits))).toBe('address');
    const byName = base.replace('127.0.0.1', 'localhost');
    expect(await refusal(safeFetch(`${byName}/feed`, createAddressPolicy(), {}, limits))).toBe('address');
    expect(hits).toBe(before);
  });

  it('fetches and follows redirects when the allow-list opens the address', async () => {
    const response = await safeFetch(`${base}/hop`, loopbackAllowed, {}, limits);
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('<feed/>');
    expect(response.url).toBe(`${base}/feed`);
  });

  it('refuses URLs with credentials, given or redirected to, without sending them', async () => {
    const before = hits;
    const withCredentials = base.replace('http://', 'http://user:secret@');
    expect(await refusal(safeFetch(`${withCredentials}/feed`, loopbackAllowed, {}, limits))).toBe(
      'credentials',
    );
    expect(hits).toBe(before);
    expect(await refusal(safeFetch(`${base}/to-credentials`, loopbackAllowed, {}, limits))).toBe(
      'credentials',
    );
    // The redirect itself was fetched; the hop with credentials was not.
    expect(hits).toBe(before + 1);
  });

  it('checks every redirect hop: a redirect into link-local space is refused', async () => {
    expect(await refusal(safeFetch(`${base}/to-metadata`, loopbackAllowed, {}, limits))).toBe('address');
  });

  it('caps redirects, body size and time, and refuses other schemes', async () => {
    expect(await refusal(safeFetch(`${base}/loop`, loopbackAllowed, {}, limits))).toBe('redirects');
    expect(await refusal(safeFetch(`${base}/big`, loopbackAllowed, {}, limits))).toBe('too-large');
    expect(await refusal(safeFetch(`${base}/slow`, loopbackAllowed, {}, limits))).toBe('timeout');
    expect(await refusal(safeFetch('file:///etc/passwd', loopbackAllowed, {}, limits))).toBe('scheme');
  });
});
