import { CloseCode, ErrorCode, PROTOCOL_VERSION, stateHash } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenService } from '../src/auth/tokens.ts';
import {
  type CreatedMap,
  createMapVia,
  type EmbeddedNode,
  openClient,
  point,
  postJson,
  startEmbeddedNode,
  TEST_SECRET,
  tokenVia,
  waitForSeq,
} from './harness.ts';
import { RawSocket, UPGRADE_HEADERS, upgradeStatus } from './raw-socket.ts';
import { waitFor } from './wait.ts';

// One node with the embedded defaults: PGlite in a temp folder and the in-process bus.
let node: EmbeddedNode;
let created: CreatedMap;
let editToken: string;
let viewToken: string;
const clients: MeridianClient[] = [];

beforeAll(async () => {
  node = await startEmbeddedNode({ env: { HELLO_TIMEOUT_MS: '500' } });
  created = await createMapVia(node.httpUrl, 'Lyon');
  editToken = await tokenVia(node.httpUrl, created.map.id, created.editKey);
  viewToken = await tokenVia(node.httpUrl, created.map.id, created.viewKey);
});

afterAll(async () => {
  for (const client of clients) client.close();
  await node?.stop();
});

async function client(name: string, token = editToken, mapId = created.map.id): Promise<MeridianClient> {
  const c = await openClient(node.wsUrl, { token, mapId, name });
  clients.push(c);
  return c;
}

describe('HTTP API', () => {
  it('creates maps, trades share keys for tokens with the right role, and lists maps', async () => {
    expect(created.map.name).toBe('Lyon');
    const edit = await postJson(`${node.httpUrl}/api/maps/${created.map.id}/sessions`, {
      key: created.editKey,
    });
    expect(edit.status).toBe(200);
    expect(edit.json).toMatchObject({ role: 'edit', map: { id: created.map.id, name: 'Lyon' } });
    const view = await postJson(`${node.httpUrl}/api/maps/${created.map.id}/sessions`, {
      key: created.viewKey,
    });
    expect(view.json).toMatchObject({ role: 'view' });

    const list = (await fetch(`${node.httpUrl}/api/maps?ids=${created.map.id},nope`).then((r) =>
      r.json(),
    )) as {
      maps: unknown[];
    };
    expect(list.maps).toEqual([expect.objectContaining({ id: created.map.id, name: 'Lyon' })]);
  });

  it('answers bad requests with typed JSON errors', async () => {
    const wrongKey = await postJson(`${node.httpUrl}/api/maps/${created.map.id}/sessions`, {
      key: 'not-a-key',
    });
    expect(wrongKey).toMatchObject({ status: 401, json: { error: { code: ErrorCode.TOKEN_INVALID } } });
    const noMap = await postJson(`${node.httpUrl}/api/maps/doesnotexist/sessions`, { key: created.editKey });
    expect(noMap).toMatchObject({ status: 404, json: { error: { code: ErrorCode.MAP_NOT_FOUND } } });
    const badJson = await postJson(`${node.httpUrl}/api/maps`, '{"name":');
    expect(badJson).toMatchObject({ status: 400, json: { error: { code: ErrorCode.BAD_JSON } } });
    const badName = await postJson(`${node.httpUrl}/api/maps`, { name: '' });
    expect(badName).toMatchObject({ status: 400, json: { error: { code: ErrorCode.INVALID_MESSAGE } } });
    const huge = await postJson(`${node.httpUrl}/api/maps`, { name: 'x'.repeat(100_000) });
    expect(huge.status).toBe(413);
    const unknown = await fetch(`${node.httpUrl}/nothing-here`);
    expect(unknown.status).toBe(404);
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${node.httpUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${node.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ db: 'ok', bus: 'ok', draining: false });
    const metrics = await fetch(`${node.httpUrl}/metrics`).then((r) => r.text());
    expect(metrics).toContain('meridian_connections');
    expect(metrics).toContain('meridian_op_commit_seconds');
  });
});

describe('joining, ops and acks', () => {
  it('sends a snapshot on join, then delivers ops in seq order with acks to the sender', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    expect(alice.role).toBe('edit');
    expect(alice.mapName).toBe('Lyon');

    const acks: number[] = [];
    alice.on('ack', (_opId, seq) => acks.push(seq));
    const seen: number[] = [];
    bob.on('frame', (frame) => {
      if (frame.direction === 'in' && frame.type === 'op')
        seen.push((JSON.parse(frame.data) as { record: { seq: number } }).record.seq);
    });
    const start = alice.seq;
    const id = alice.createFeature(point(4.83, 45.76), { title: 'Bellecour' });
    alice.updateFeature(id, { color: '#e4572e' });
    alice.moveFeature(id, point(4.84, 45.77));
    const other = bob.createFeature(point(4.85, 45.75), { title: 'Part-Dieu' });
    await waitForSeq([alice, bob], start + 4);

    expect(acks).toHaveLength(3);
    expect(seen).toEqual([start + 1, start + 2, start + 3, start + 4]);
    expect(bob.features.get(id)).toMatchObject({
      geometry: point(4.84, 45.77),
      properties: { title: 'Bellecour', color: '#e4572e' },
      version: 3,
    });
    expect(alice.features.has(other)).toBe(true);
    expect(stateHash(alice.replica.confirmed)).toBe(stateHash(bob.replica.confirmed));

    // A late joiner's snapshot has everything.
    const carol = await client('Carol');
    expect(carol.seq).toBe(alice.seq);
    expect(stateHash(carol.replica.confirmed)).toBe(stateHash(alice.replica.confirmed));
  });

  it('rejects an op on a missing feature with a typed code and changes nothing', async () => {
    const socket = await RawSocket.open(`${node.wsUrl}?token=${editToken}`);
    const snapshot = await socket.joinMap(created.map.id, 'raw-rejects');
    socket.send({
      type: 'op',
      mapId: created.map.id,
      opId: 'o-missing',
      op: { kind: 'feature.delete', id: 'ghost' },
    });
    const reject = await socket.next('reject');
    expect(reject).toMatchObject({ opId: 'o-missing', code: ErrorCode.FEATURE_NOT_FOUND });
    socket.send({ type: 'sync', mapId: created.map.id, fromSeq: 1, toSeq: 100_000 });
    const replay = await socket.next('replay', (f) => f.fromSeq === 1);
    expect((replay.ops as unknown[]).length).toBe(snapshot.seq);
    socket.close();
  });

  it('acknowledges a retried op id again without applying it twice', async () => {
    const socket = await RawSocket.open(`${node.wsUrl}?token=${editToken}`);
    await socket.joinMap(created.map.id, 'raw-retry');
    const op = {
      type: 'op',
      mapId: created.map.id,
      opId: 'o-retry-1',
      op: {
        kind: 'feature.create',
        feature: { type: 'Feature', id: 'retry-f', geometry: point(1, 1), properties: {}, version: 0 },
      },
    };
    socket.send(op);
    const first = await socket.next('ack', (f) => f.opId === 'o-retry-1');
    socket.send(op);
    const second = await socket.next('ack', (f) => f.opId === 'o-retry-1' && f.duplicate === true);
    expect(second.seq).toBe(first.seq);
    await waitFor('the broadcast', () => socket.frames.some((f) => f.type === 'op'));
    const snapshot = await (await RawSocket.open(`${node.wsUrl}?token=${editToken}`)).joinMap(
      created.map.id,
      'raw-check',
    );
    expect(snapshot.seq).toBe(first.seq);
    socket.close();
  });

  it('resumes with lastSeq: replays exactly the missed ops', async () => {
    const alice = await client('Alice-resume');
    const socket = await RawSocket.open(`${node.wsUrl}?token=${editToken}`);
    const snapshot = await socket.joinMap(created.map.id, 'raw-resume');
    const lastSeq = snapshot.seq as number;
    socket.close();
    await socket.closed;
    const ids = [alice.createFeature(point(2, 2)), alice.createFeature(point(3, 3))];
    await waitForSeq([alice], lastSeq + 2);

    const back = await RawSocket.open(`${node.wsUrl}?token=${editToken}`);
    const replay = await back.joinMap(created.map.id, 'raw-resume', { lastSeq });
    expect(replay.type).toBe('replay');
    expect(replay).toMatchObject({ fromSeq: lastSeq + 1, toSeq: lastSeq + 2, role: 'edit' });
    const ops = replay.ops as { seq: number; op: { feature: { id: string } } }[];
    expect(ops.map((r) => r.seq)).toEqual([lastSeq + 1, lastSeq + 2]);
    expect(ops.map((r) => r.op.feature.id)).toEqual(ids);
    back.close();
  });
});

describe('presence', () => {
  it('shows who is here, their cursor and viewport, follows, summons, and who left', async () => {
    const alice = await client('Alice-p');
    const bob = await client('Bob-p');
    // Bob is listed once he does something (audience mode): his cursor over the map.
    bob.setCursor([4.8, 45.7]);
    await waitFor('Alice to see Bob', () => alice.peers.get(bob.clientId)?.name === 'Bob-p');
    const viewport = {
      bounds: [4.7, 45.6, 4.9, 45.8] as [number, number, number, number],
      zoom: 12,
      bearing: 0,
      pitch: 0,
    };
    bob.setViewport(viewport);
    await waitFor('Bob cursor and viewport at Alice', () => {
      const entry = alice.peers.get(bob.clientId);
      return entry?.cursor?.[0] === 4.8 && entry.viewport?.zoom === 12;
    });
    bob.follow(alice.clientId);
    await waitFor('Bob following Alice', () => alice.peers.get(bob.clientId)?.following === alice.clientId);

    const summons: string[] = [];
    bob.on('summon', (from) => summons.push(from));
    alice.summon(viewport);
    await waitFor('the summon to reach Bob', () => summons.includes(alice.clientId));

    bob.close();
    await waitFor('Bob to leave', () => !alice.peers.has(bob.clientId));
  });

  it('refuses summon from a view-only user', async () => {
    const socket = await RawSocket.open(`${node.wsUrl}?token=${viewToken}`);
    await socket.joinMap(created.map.id, 'raw-viewer');
    socket.send({
      type: 'summon',
      mapId: created.map.id,
      viewport: { bounds: [0, 0, 1, 1], zoom: 3, bearing: 0 },
    });
    expect(await socket.next('error', (f) => f.ref === 'summon')).toMatchObject({
      code: ErrorCode.FORBIDDEN,
    });
    socket.close();
  });
});

describe('upgrades under load', () => {
  it('keeps every socket of a burst of concurrent upgrades open while the map is busy', async () => {
    const busy = await client('Busy');
    let moving = true;
    const traffic = (async () => {
      for (let i = 0; moving && i < 2000; i++) {
        busy.setCursor([i % 180, 0]);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const sockets = await Promise.all(
      Array.from({ length: 40 }, () => RawSocket.open(`${node.wsUrl}?token=${editToken}`)),
    );
    await Promise.all(sockets.map((socket, i) => socket.joinMap(created.map.id, `burst-${i}`)));
    moving = false;
    await traffic;
    expect(sockets.filter((socket) => !socket.isOpen)).toEqual([]);
    for (const socket of sockets) socket.close();
  });
});

describe('session rules', () => {
  it('closes with 4000 on a protocol version mismatch', async () => {
    const socket = await RawSocket.open(`${node.wsUrl}?token=${editToken}`);
    socket.send({ type: 'hello', v: PROTOCOL_VERSION + 1, clientId: 'future', name: 'F', color: '#000000' });
    expect((await socket.closed).code).toBe(CloseCode.UNSUPPORTED_PROTOCOL_VERSION);
    expect(socket.frames[0]).toMatchObject({ type: 'error', code: ErrorCode.UNSUPPORTED_VERSION });
  });

  it.each([1, 2, 3])(
    'closes with 4000 for a v%i client (v4 brought bulk frames and named imports, which a v3 client would refuse)',
    async (v) => {
      expect(PROTOCOL_VERSION).toBe(4);
      const socket = await RawSocket.open(`${node.wsUrl}?token=${editToken}`);
      socket.send({ type: 'hello', v, clientId: 'old', name: 'O', color: '#000000' });
      expect((await socket.closed).code).toBe(CloseCode.UNSUPPORTED_PROTOCOL_VERSION);
      expect(socket.frames[0]).toMatchObject({ type: 'error', code: ErrorCode.UNSUPPORTED_VERSION });
    },
  );

  it('closes with 4001 when no hello arrives in time', async () => {
    const socket = await RawSocket.open(`${node.wsUrl}?token=${editToken}`);
    expect((await socket.closed).code).toBe(CloseCode.HELLO_TIMEOUT);
  });

  it('answers messages before hello and before join with typed errors', async () => {
    const socket = await RawSocket.open(`${node.wsUrl}?token=${editToken}`);
    socket.send({ type: 'ping', t: 1 });
    expect(await socket.next('error')).toMatchObject({ code: ErrorCode.HELLO_REQUIRED });
    socket.send({ type: 'hello', v: PROTOCOL_VERSION, clientId: 'early', name: 'E', color: '#000000' });
    await socket.next('welcome');
    socket.send({
      type: 'op',
      mapId: created.map.id,
      opId: 'o-early',
      op: { kind: 'map.rename', name: 'Nope' },
    });
    expect(await socket.next('reject')).toMatchObject({ code: ErrorCode.NOT_JOINED });
    socket.send({ type: 'ping', t: 42 });
    expect(await socket.next('pong')).toMatchObject({ t: 42 });
    socket.close();
  });
});

describe('auth', () => {
  const upgrade = (query: string, headers: Record<string, string> = {}) =>
    upgradeStatus(`${node.httpUrl}/ws${query}`, { ...UPGRADE_HEADERS, ...headers });

  it('refuses upgrades without a valid token (401), from a foreign origin (403), malformed (400), not an upgrade (426), elsewhere (404)', async () => {
    expect((await upgrade('')).status).toBe(401);
    expect((await upgrade('?token=garbage')).status).toBe(401);
    const past = createTokenService(TEST_SECRET, 60, { now: () => Date.now() - 3_600_000 });
    const expired = await past.sign({ mapId: created.map.id, role: 'edit' });
    expect((await upgrade(`?token=${expired.token}`)).status).toBe(401);
    const forged = await createTokenService('another-secret-0123456789abcdef0123', 60, {
      now: Date.now,
    }).sign({
      mapId: created.map.id,
      role: 'edit',
    });
    expect((await upgrade(`?token=${forged.token}`)).status).toBe(401);
    expect((await upgrade(`?token=${editToken}`, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await upgrade(`?token=${editToken}`, { origin: 'http://localhost:3000' })).status).toBe(101);
    expect((await upgrade(`?token=${editToken}`, { 'sec-websocket-version': '8' })).status).toBe(426);
    expect((await upgrade(`?token=${editToken}`, { 'sec-websocket-key': 'short' })).status).toBe(400);
    const plain = await fetch(`${node.httpUrl}/ws?token=${editToken}`);
    expect(plain.status).toBe(426);
    expect(await plain.text()).not.toMatch(/at .*\.ts/);
    expect(
      (await upgradeStatus(`${node.httpUrl}/elsewhere?token=${editToken}`, UPGRADE_HEADERS)).status,
    ).toBe(404);
  });

  it('refuses a join with another map’s token, and edits with a view token', async () => {
    const other = await createMapVia(node.httpUrl, 'Other');
    const otherToken = await tokenVia(node.httpUrl, other.map.id, other.editKey);
    const socket = await RawSocket.open(`${node.wsUrl}?token=${otherToken}`);
    socket.send({ type: 'hello', v: PROTOCOL_VERSION, clientId: 'wrong-map', name: 'W', color: '#000000' });
    await socket.next('welcome');
    socket.send({ type: 'join', mapId: created.map.id });
    expect(await socket.next('error', (f) => f.ref === 'join')).toMatchObject({ code: ErrorCode.FORBIDDEN });
    // A join may carry its own token for the map.
    socket.send({ type: 'join', mapId: created.map.id, token: viewToken });
    const snapshot = await socket.next('snapshot');
    expect(snapshot.role).toBe('view');
    socket.send({
      type: 'op',
      mapId: created.map.id,
      opId: 'o-view',
      op: { kind: 'map.rename', name: 'Hacked' },
    });
    expect(await socket.next('reject')).toMatchObject({ opId: 'o-view', code: ErrorCode.FORBIDDEN });
    socket.close();

    const viewer = await client('Viewer', viewToken);
    expect(viewer.role).toBe('view');
  });

  it('closes with 4003 when the token expires during the session', async () => {
    const soon = createTokenService(TEST_SECRET, 1, { now: Date.now });
    const { token } = await soon.sign({ mapId: created.map.id, role: 'edit' });
    const socket = await RawSocket.open(`${node.wsUrl}?token=${token}`);
    await socket.joinMap(created.map.id, 'expiring');
    expect((await socket.closed).code).toBe(CloseCode.TOKEN_EXPIRED);
  });
});
