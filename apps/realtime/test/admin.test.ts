import { type Database, openDatabase } from '@meridian/db';
import type { MeridianClient } from '@meridian/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../src/bus/memory-bus.ts';
import { createEmbeddedDataDir } from './databases.ts';
import {
  createMapVia,
  openClient,
  point,
  startNode,
  type TestNode,
  tokenVia,
  waitForSeq,
} from './harness.ts';
import { waitFor } from './wait.ts';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

interface ConnectionRow {
  name: string | null;
  mapId: string;
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  bufferedBytes: number;
  volatileDropped: number;
  deflate: boolean;
}

let data: Awaited<ReturnType<typeof createEmbeddedDataDir>>;
let db: Database;
let withAdmin: TestNode;
let withoutAdmin: TestNode;
const clients: MeridianClient[] = [];

beforeAll(async () => {
  data = await createEmbeddedDataDir();
  db = await openDatabase({ dataDir: data.dir });
  withAdmin = await startNode({
    db,
    bus: createMemoryBus(),
    dataDir: data.dir,
    env: { MERIDIAN_ADMIN_TOKEN: ADMIN_TOKEN },
  });
  withoutAdmin = await startNode({ db, bus: createMemoryBus(), dataDir: data.dir });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await withAdmin?.stop();
  await withoutAdmin?.stop();
  await db?.close();
  await data?.remove();
});

async function connections(): Promise<ConnectionRow[]> {
  const res = await fetch(`${withAdmin.httpUrl}/admin/connections`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { connections: ConnectionRow[] }).connections;
}

describe('GET /admin/connections', () => {
  it('does not exist unless MERIDIAN_ADMIN_TOKEN is set', async () => {
    const res = await fetch(`${withoutAdmin.httpUrl}/admin/connections`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(404);
  });

  it('refuses a missing or wrong bearer token with 401', async () => {
    const url = `${withAdmin.httpUrl}/admin/connections`;
    const missing = await fetch(url);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(await wrong.json())).not.toContain(ADMIN_TOKEN);
  });

  it('shows each connection with counters that move with its traffic', async () => {
    const created = await createMapVia(withAdmin.httpUrl, 'Counted');
    const token = await tokenVia(withAdmin.httpUrl, created.map.id, created.editKey);
    const alice = await openClient(withAdmin.wsUrl, { token, mapId: created.map.id, name: 'Alice' });
    const bob = await openClient(withAdmin.wsUrl, { token, mapId: created.map.id, name: 'Bob' });
    clients.push(alice, bob);
    const row = async (name: string) =>
      waitFor(`a row for ${name}`, async () => (await connections()).find((c) => c.name === name));

    const before = { alice: await row('Alice'), bob: await row('Bob') };
    expect(before.alice).toMatchObject({ mapId: created.map.id, deflate: false, bufferedBytes: 0 });
    expect(before.alice.messagesOut).toBeGreaterThanOrEqual(2); // welcome and snapshot

    alice.createFeature(point(4.8, 45.7), { title: 'Counted marker' });
    alice.createFeature(point(4.9, 45.8), { title: 'Another' });
    await waitForSeq([alice, bob], 2);

    const after = { alice: await row('Alice'), bob: await row('Bob') };
    // Bob received Alice's two ops through the map's topic; Alice got her acks directly.
    expect(after.alice.messagesOut - before.alice.messagesOut).toBeGreaterThanOrEqual(2);
    expect(after.bob.messagesOut - before.bob.messagesOut).toBeGreaterThanOrEqual(2);
    expect(after.bob.bytesOut - before.bob.bytesOut).toBeGreaterThan(2 * 'Counted marker'.length);
    // Alice sent the two ops (and maybe presence); Bob sent no op, so his incoming bytes grew less.
    expect(after.alice.messagesIn - before.alice.messagesIn).toBeGreaterThanOrEqual(2);
    expect(after.alice.bytesIn - before.alice.bytesIn).toBeGreaterThan(2 * 'Counted marker'.length);
    expect(after.alice.bytesIn - before.alice.bytesIn).toBeGreaterThan(
      after.bob.bytesIn - before.bob.bytesIn,
    );
  });
});
