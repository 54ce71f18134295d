import { type Database, openDatabase } from '@meridian/db';
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
import { createMemoryBus } from '../src/bus/memory-bus.ts';
import { createEmbeddedDataDir } from './databases.ts';
import { postJson, startNode, type TestNode } from './harness.ts';

// Every answer of the realtime HTTP API parses with the schema in @meridian/protocol's http.ts,
// the one the web server parses it with.
let data: Awaited<ReturnType<typeof createEmbeddedDataDir>>;
let db: Database;
let node: TestNode;

beforeAll(async () => {
  data = await createEmbeddedDataDir();
  db = await openDatabase({ dataDir: data.dir });
  node = await startNode({ db, bus: createMemoryBus(), dataDir: data.dir });
});

afterAll(async () => {
  await node?.stop();
  await db?.close();
  await data?.remove();
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
