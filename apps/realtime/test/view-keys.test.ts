import { ErrorCode } from '@meridian/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenService } from '../src/auth/tokens.ts';
import {
  type CreatedMap,
  createMapVia,
  type EmbeddedNode,
  postJson,
  startEmbeddedNode,
  TEST_SECRET,
  tokenVia,
} from './harness.ts';

// POST /api/maps/:id/view-keys: any editor (edit-role access token) mints a fresh view key.
let node: EmbeddedNode;
let created: CreatedMap;
let other: CreatedMap;
let editToken: string;

beforeAll(async () => {
  node = await startEmbeddedNode();
  created = await createMapVia(node.httpUrl, 'Shared');
  other = await createMapVia(node.httpUrl, 'Other');
  editToken = await tokenVia(node.httpUrl, created.map.id, created.editKey);
});

afterAll(async () => {
  await node?.stop();
});

async function mintViewKey(
  mapId: string,
  authorization?: string,
): Promise<{ status: number; json: unknown; wwwAuthenticate: string | null }> {
  const res = await fetch(`${node.httpUrl}/api/maps/${mapId}/view-keys`, {
    method: 'POST',
    headers: authorization === undefined ? {} : { authorization },
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, wwwAuthenticate: res.headers.get('www-authenticate') };
}

const errorCode = (code: string) => ({ error: { code, message: expect.any(String) } });

describe('POST /api/maps/:id/view-keys', () => {
  it('mints a new view key for an editor, and that key opens a view-role session', async () => {
    const minted = await mintViewKey(created.map.id, `Bearer ${editToken}`);
    expect(minted.status).toBe(201);
    const { viewKey } = minted.json as { viewKey: string };
    expect(viewKey).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(viewKey).not.toBe(created.viewKey);

    const session = await postJson(`${node.httpUrl}/api/maps/${created.map.id}/sessions`, { key: viewKey });
    expect(session).toMatchObject({ status: 200, json: { role: 'view', map: { id: created.map.id } } });
    // The new key is a view key of this map only, and the original keys still work.
    const elsewhere = await postJson(`${node.httpUrl}/api/maps/${other.map.id}/sessions`, { key: viewKey });
    expect(elsewhere.status).toBe(401);
    const original = await postJson(`${node.httpUrl}/api/maps/${created.map.id}/sessions`, {
      key: created.viewKey,
    });
    expect(original).toMatchObject({ status: 200, json: { role: 'view' } });
  });

  it('refuses a view-role token and a token for another map with 403', async () => {
    const viewToken = await tokenVia(node.httpUrl, created.map.id, created.viewKey);
    const asViewer = await mintViewKey(created.map.id, `Bearer ${viewToken}`);
    expect(asViewer).toMatchObject({ status: 403, json: errorCode(ErrorCode.FORBIDDEN) });
    const otherEditToken = await tokenVia(node.httpUrl, other.map.id, other.editKey);
    const wrongMap = await mintViewKey(created.map.id, `Bearer ${otherEditToken}`);
    expect(wrongMap).toMatchObject({ status: 403, json: errorCode(ErrorCode.FORBIDDEN) });
  });

  it('refuses a missing, malformed, forged or expired token with 401', async () => {
    const forged = createTokenService('another-secret-0123456789abcdef0123', 600, { now: () => Date.now() });
    const { token: forgedToken } = await forged.sign({ mapId: created.map.id, role: 'edit' });
    // Signed with the right secret an hour ago, valid for a minute.
    const past = createTokenService(TEST_SECRET, 60, { now: () => Date.now() - 3_600_000 });
    const { token: expiredToken } = await past.sign({ mapId: created.map.id, role: 'edit' });
    const cases: [string, string | undefined][] = [
      ['no header', undefined],
      ['empty header', ''],
      ['not bearer', `Basic ${editToken}`],
      ['garbage', 'Bearer not.a.token'],
      ['long garbage', `Bearer ${'a'.repeat(3000)}`],
      ['forged', `Bearer ${forgedToken}`],
      ['expired', `Bearer ${expiredToken}`],
    ];
    for (const [label, header] of cases) {
      const reply = await mintViewKey(created.map.id, header);
      expect({ label, ...reply }).toMatchObject({
        label,
        status: 401,
        json: errorCode(ErrorCode.TOKEN_INVALID),
        wwwAuthenticate: expect.stringContaining('Bearer'),
      });
    }
    const expired = await mintViewKey(created.map.id, `Bearer ${expiredToken}`);
    expect((expired.json as { error: { message: string } }).error.message).toMatch(/expired/);
  });

  it('answers 404 for a map that does not exist and 400 for a malformed id', async () => {
    // A genuine edit token for a map id nobody created (as after the map was deleted).
    const signer = createTokenService(TEST_SECRET, 600, { now: () => Date.now() });
    const { token } = await signer.sign({ mapId: 'NoSuchMap123', role: 'edit' });
    const missing = await mintViewKey('NoSuchMap123', `Bearer ${token}`);
    expect(missing).toMatchObject({ status: 404, json: errorCode(ErrorCode.MAP_NOT_FOUND) });
    const malformed = await mintViewKey('bad%20id!', `Bearer ${editToken}`);
    expect(malformed).toMatchObject({ status: 400, json: errorCode(ErrorCode.INVALID_MESSAGE) });
    // The node is still serving after all of the above.
    expect((await fetch(`${node.httpUrl}/healthz`)).status).toBe(200);
  });
});
