import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CreateMapResponse, CreateSessionResponse } from '@meridian/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenService } from '../src/auth/tokens.ts';
import { systemClock } from '../src/clock.ts';
import { type ChildNode, spawnNode } from './child-node.ts';
import { createEmbeddedDataDir } from './databases.ts';
import { postJson } from './harness.ts';

// index.ts as production runs it, with no MERIDIAN_AUTH_SECRET: loading the configuration writes
// nothing, and the explicit withAuthSecret step generates the embedded default's secret.
let data: Awaited<ReturnType<typeof createEmbeddedDataDir>>;
let node: ChildNode;

beforeAll(async () => {
  data = await createEmbeddedDataDir();
  node = await spawnNode({ MERIDIAN_DATA_DIR: data.dir, MERIDIAN_AUTH_SECRET: '' });
});

afterAll(async () => {
  await node?.stop();
  await data?.remove();
});

describe('boot without MERIDIAN_AUTH_SECRET', () => {
  it('generates <dataDir>/auth-secret (mode 0600) and signs tokens with it', async () => {
    const file = path.join(data.dir, 'auth-secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = readFileSync(file, 'utf8').trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);

    const created = CreateMapResponse.parse(
      (await postJson(`${node.httpUrl}/api/maps`, { name: 'Boot' })).json,
    );
    const session = await postJson(`${node.httpUrl}/api/maps/${created.map.id}/sessions`, {
      key: created.editKey,
    });
    const { token } = CreateSessionResponse.parse(session.json);
    expect(createTokenService(secret, 60, systemClock).verify(token)).toMatchObject({
      ok: true,
      claims: { mapId: created.map.id, role: 'edit' },
    });
    expect(createTokenService('another-secret-0123456789abcdef0123', 60, systemClock).verify(token).ok).toBe(
      false,
    );
  });
});
