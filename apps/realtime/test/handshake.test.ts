import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ECHO_PATH } from '../src/echo/echo-route.ts';
import { createMapVia, type EmbeddedNode, startEmbeddedNode, tokenVia } from './harness.ts';
import { expectedAccept, type UpgradeResponse, WireClient } from './wire.ts';

let node: EmbeddedNode;
let token: string;
const open: WireClient[] = [];

beforeAll(async () => {
  node = await startEmbeddedNode();
  const created = await createMapVia(node.httpUrl, 'Handshakes');
  token = await tokenVia(node.httpUrl, created.map.id, created.editKey);
});

afterEach(() => {
  for (const client of open.splice(0)) client.destroy();
});

afterAll(async () => {
  await node?.stop();
});

/** Send a request head byte for byte and return the parsed response head. */
async function send(lines: string[]): Promise<UpgradeResponse> {
  const client = await WireClient.connect(node.port);
  open.push(client);
  return client.request(lines);
}

function upgradeLines(path: string, key: string, overrides: Record<string, string | null> = {}): string[] {
  const headers: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
    ...overrides,
  };
  return [
    `GET ${path} HTTP/1.1`,
    ...Object.entries(headers).flatMap(([name, value]) => (value === null ? [] : [`${name}: ${value}`])),
  ];
}

const paths = () => [
  { name: '/ws', path: `/ws?token=${token}` },
  { name: ECHO_PATH, path: ECHO_PATH },
];

describe('the upgrade handshake, byte for byte', () => {
  it('answers a valid upgrade with 101 and the Sec-WebSocket-Accept of RFC 6455 §4.2.2', async () => {
    // The RFC's own example: this key must give this accept value.
    expect(expectedAccept('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    for (const { path } of paths()) {
      const key = randomBytes(16).toString('base64');
      const response = await send(upgradeLines(path, key, { Origin: 'http://localhost:3000' }));
      expect(response.statusLine).toBe('HTTP/1.1 101 Switching Protocols');
      expect(response.headers.upgrade?.toLowerCase()).toBe('websocket');
      expect(response.headers.connection?.toLowerCase()).toBe('upgrade');
      expect(response.headers['sec-websocket-accept']).toBe(expectedAccept(key));
      // No subprotocol was offered, so none is selected; deflate only when configured on /ws.
      expect(response.headers['sec-websocket-protocol']).toBeUndefined();
    }
  });

  it('takes the token from an offered bearer.<token> subprotocol, selects meridian, and never echoes the token', async () => {
    const key = randomBytes(16).toString('base64');
    const response = await send(
      upgradeLines('/ws', key, { 'Sec-WebSocket-Protocol': `meridian, bearer.${token}` }),
    );
    expect(response.statusLine).toBe('HTTP/1.1 101 Switching Protocols');
    expect(response.headers['sec-websocket-protocol']).toBe('meridian');
    // A bad token in the subprotocol is refused like a bad one in the query.
    const forged = await send(
      upgradeLines('/ws', randomBytes(16).toString('base64'), {
        'Sec-WebSocket-Protocol': 'meridian, bearer.not.a.token',
      }),
    );
    expect(forged.status).toBe(401);
    // Offered alone, the token's subprotocol is not selected: the answer names none.
    const alone = await send(
      upgradeLines('/ws', randomBytes(16).toString('base64'), {
        'Sec-WebSocket-Protocol': `bearer.${token}`,
      }),
    );
    expect(alone.statusLine).toBe('HTTP/1.1 101 Switching Protocols');
    expect(alone.headers['sec-websocket-protocol']).toBeUndefined();
  });

  it('refuses another Sec-WebSocket-Version with 426 naming version 13', async () => {
    for (const { path } of paths()) {
      const response = await send(
        upgradeLines(path, randomBytes(16).toString('base64'), { 'Sec-WebSocket-Version': '8' }),
      );
      expect(response.status, path).toBe(426);
      expect(response.headers['sec-websocket-version'], path).toBe('13');
    }
  });

  it('refuses a missing or malformed key with 400', async () => {
    for (const { path } of paths()) {
      expect((await send(upgradeLines(path, '', { 'Sec-WebSocket-Key': null }))).status, path).toBe(400);
      expect((await send(upgradeLines(path, 'short'))).status, path).toBe(400);
    }
  });

  it('refuses a plain GET with 426 Upgrade Required and Upgrade: websocket', async () => {
    for (const { path } of paths()) {
      const response = await send([`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1']);
      expect(response.status, path).toBe(426);
      expect(response.headers.upgrade, path).toBe('websocket');
      expect(response.body, path).not.toMatch(/at .*\.ts/);
    }
  });

  it('refuses /ws without a token or with a bad one (401), and a foreign Origin on both (403)', async () => {
    const key = () => randomBytes(16).toString('base64');
    expect((await send(upgradeLines('/ws', key()))).status).toBe(401);
    expect((await send(upgradeLines('/ws?token=not.a.token', key()))).status).toBe(401);
    for (const { path } of paths()) {
      const response = await send(upgradeLines(path, key(), { Origin: 'https://evil.example' }));
      expect(response.status, path).toBe(403);
    }
  });

  it('refuses an upgrade on any other path with 404', async () => {
    expect((await send(upgradeLines('/nowhere', randomBytes(16).toString('base64')))).status).toBe(404);
  });
});
