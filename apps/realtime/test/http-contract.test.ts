import {
  ApiErrorBody,
  CreateMapResponse,
  CreateSessionResponse,
  ErrorCode,
  LIMITS,
  ListMapsResponse,
  MintViewKeyResponse,
} from '@meridian/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedNode, postJson, startEmbeddedNode } from './harness.ts';

// Every answer of the realtime HTTP API parses with the schema in @meridian/protocol's http.ts,
// the one the web server parses it with.
let node: EmbeddedNode;

beforeAll(async () => {
  node = await startEmbeddedNode();
});

afterAll(async () => {
  await node?.stop();
});

describe('the HTTP contract', () => {
  it('answers create, session, view-key and list with bodies that match the shared schemas', async () => {
    const created = await postJson(`${node.httpUrl}/api/maps`, { name: 'Contract' });
    expect(created.status).toBe(201);
    const map = CreateMapResponse.parse(created.json);

    const before = Date.now();
    const session = await postJson(`${node.httpUrl}/api/maps/${map.map.id}/sessions`, { key: map.editKey });
    expect(session.status).toBe(200);
    const { token, role, expiresAt } = CreateSessionResponse.parse(session.json);
    expect(role).toBe('edit');
    // Epoch milliseconds, TOKEN_TTL_S (default one hour) ahead.
    expect(expiresAt).toBeGreaterThan(before + 3_000_000);
    expect(expiresAt).toBeLessThan(Date.now() + 3_700_000);

    const minted = await fetch(`${node.httpUrl}/api/maps/${map.map.id}/view-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(minted.status).toBe(201);
    MintViewKeyResponse.parse(await minted.json());

    const listed = await fetch(`${node.httpUrl}/api/maps?ids=${map.map.id},nope`);
    expect(listed.status).toBe(200);
    expect(ListMapsResponse.parse(await listed.json())).toEqual({
      maps: [{ id: map.map.id, name: 'Contract' }],
    });
  });

  it('refuses with a typed error body that matches the shared schema', async () => {
    const tooLong = 'k'.repeat(LIMITS.MAX_SHARE_KEY_CHARS + 1);
    const refused = await postJson(`${node.httpUrl}/api/maps/abc/sessions`, { key: tooLong });
    expect(refused.status).toBe(400);
    expect(ApiErrorBody.parse(refused.json).error.code).toBe(ErrorCode.INVALID_MESSAGE);

    const ids = Array.from({ length: LIMITS.MAX_LISTED_MAPS + 1 }, (_, i) => `m${i}`).join(',');
    const tooMany = await fetch(`${node.httpUrl}/api/maps?ids=${ids}`);
    expect(tooMany.status).toBe(400);
    expect(ApiErrorBody.parse(await tooMany.json()).error.code).toBe(ErrorCode.INVALID_MESSAGE);
  });
});

describe('content types (415)', () => {
  const mapCount = () => node.db.prisma.map.count();
  const send = (
    path: string,
    contentType: string | undefined,
    body?: string,
    extra: Record<string, string> = {},
  ) =>
    fetch(`${node.httpUrl}${path}`, {
      method: 'POST',
      headers: { ...(contentType === undefined ? {} : { 'content-type': contentType }), ...extra },
      body,
    });
  const expect415 = async (response: Response) => {
    expect(response.status).toBe(415);
    expect(ApiErrorBody.parse(await response.json()).error.code).toBe(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  };

  it.each([
    ['text/plain;charset=UTF-8'],
    ['application/x-www-form-urlencoded'],
    ['multipart/form-data; boundary=x'],
    ['application/jsonp'],
    ['application/json; charset=latin1'],
  ])(
    'POST /api/maps with %s is refused and creates no map (a CORS simple request cannot skip the preflight)',
    async (type) => {
      const before = await mapCount();
      await expect415(await send('/api/maps', type, JSON.stringify({ name: 'Sneaky' })));
      expect(await mapCount()).toBe(before);
    },
  );

  it('POST /api/maps with no Content-Type is refused', async () => {
    const before = await mapCount();
    // A Blob without a type makes fetch send no Content-Type header at all.
    const response = await fetch(`${node.httpUrl}/api/maps`, {
      method: 'POST',
      body: new Blob([JSON.stringify({ name: 'Untyped' })]),
    });
    await expect415(response);
    expect(await mapCount()).toBe(before);
  });

  it('a refused body larger than the body limit is still a 415, and the node keeps serving', async () => {
    await expect415(await send('/api/maps', 'text/plain', 'x'.repeat(64 * 1024)));
    expect((await fetch(`${node.httpUrl}/healthz`)).status).toBe(200);
  });

  it.each([['application/json'], ['application/json; charset=utf-8'], ['Application/JSON;charset="UTF-8"']])(
    'POST /api/maps with %s is accepted',
    async (type) => {
      const response = await send('/api/maps', type, JSON.stringify({ name: 'Typed' }));
      expect(response.status).toBe(201);
      CreateMapResponse.parse(await response.json());
    },
  );

  it('POST /api/maps/:id/sessions with text/plain is refused even with a valid key', async () => {
    const map = CreateMapResponse.parse((await postJson(`${node.httpUrl}/api/maps`, { name: 'Keys' })).json);
    const path = `/api/maps/${map.map.id}/sessions`;
    await expect415(await send(path, 'text/plain', JSON.stringify({ key: map.editKey })));
    const accepted = await send(path, 'application/json', JSON.stringify({ key: map.editKey }));
    expect(accepted.status).toBe(200);
  });

  it('POST /api/maps/:id/view-keys (no body) accepts no Content-Type or JSON, and refuses others', async () => {
    const map = CreateMapResponse.parse((await postJson(`${node.httpUrl}/api/maps`, { name: 'Views' })).json);
    const session = await postJson(`${node.httpUrl}/api/maps/${map.map.id}/sessions`, { key: map.editKey });
    const { token } = CreateSessionResponse.parse(session.json);
    const path = `/api/maps/${map.map.id}/view-keys`;
    const auth = { authorization: `Bearer ${token}` };
    await expect415(await send(path, 'text/plain', '', auth));
    expect((await send(path, undefined, undefined, auth)).status).toBe(201);
    expect((await send(path, 'application/json', undefined, auth)).status).toBe(201);
  });
});
