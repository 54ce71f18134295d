import { beforeEach, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from '../codes.ts';
import type { ServerMessage } from '../messages/server.ts';
import { type ConnectionState, canTransition, transition } from './connection-state.ts';
import { MeridianClient } from './meridian-client.ts';
import type { OpRejectedEvent } from './sync.ts';
import { lastSocket, ManualClock, ScriptedSocket, ScriptedWebSocket, settle } from './test-doubles.ts';

const MAP = 'm1';
const BACKOFF = { initialMs: 1000, maxMs: 8000, factor: 2 };
const point = (x: number) => ({ type: 'Point' as const, coordinates: [x, 0] as [number, number] });
const feature = (id: string) => ({
  type: 'Feature' as const,
  id,
  geometry: point(1),
  properties: {},
  version: 0,
});

const welcome: ServerMessage = {
  type: 'welcome',
  v: 1,
  clientId: 'c-test',
  nodeId: 'n1',
  serverTime: 0,
  maxFrameBytes: 65536,
  maxBulkFrameBytes: 1048576,
};
const snapshot = (seq = 0): ServerMessage => ({
  type: 'snapshot',
  mapId: MAP,
  seq,
  role: 'edit',
  map: { id: MAP, name: 'Map' },
  features: [],
  layers: [],
  presence: [],
});

function makeClient(clock: ManualClock, pacing = { window: 64, burst: 40, perSecond: 20 }) {
  const client = new MeridianClient({
    url: 'ws://test/ws',
    mapId: MAP,
    clientId: 'c-test',
    token: 't',
    user: { name: 'A', color: '#000000' },
    WebSocket: ScriptedWebSocket,
    backoff: BACKOFF,
    pingIntervalMs: 0,
    resendPacing: pacing,
    clock,
  });
  const states: ConnectionState[] = [];
  const rejected: OpRejectedEvent[] = [];
  client.on('status', (state) => states.push(state));
  client.on('opRejected', (event) => rejected.push(event));
  return { client, states, rejected, kinds: () => states.map((s) => s.kind) };
}

/** connect → open → welcome → snapshot, on a fresh socket. */
async function join(client: MeridianClient, seq = 0): Promise<ScriptedSocket> {
  client.connect();
  await settle();
  const socket = lastSocket();
  socket.open();
  socket.receive(welcome);
  socket.receive(snapshot(seq));
  return socket;
}

let clock: ManualClock;
beforeEach(() => {
  ScriptedSocket.all = [];
  clock = new ManualClock();
});

describe('connection state machine', () => {
  it('goes idle → connecting → handshaking → joining → joined, sending hello then join', async () => {
    const { client, kinds } = makeClient(clock);
    const socket = await join(client);
    expect(kinds()).toEqual(['connecting', 'handshaking', 'joining', 'joined']);
    expect(socket.sent.map((m) => m.type)).toEqual(['hello', 'join', 'presence']);
    expect(client.joined).toBe(true);
  });

  it('sends the token as a subprotocol beside meridian, never in the URL', async () => {
    const { client } = makeClient(clock);
    const socket = await join(client);
    expect(socket.url).toBe('ws://test/ws');
    expect(socket.protocols).toEqual(['meridian', 'bearer.t']);
  });

  it('backs off after a lost socket, for the jittered delay, then reconnects and resumes from its seq', async () => {
    const { client, states, kinds } = makeClient(clock);
    const first = await join(client, 7);
    clock.randomValue = 1;
    first.drop(CloseCode.SERVICE_RESTART, 'draining');
    const backoff = states.at(-1);
    expect(backoff).toMatchObject({
      kind: 'backoff',
      attempt: 0,
      retryInMs: 1000,
      reason: { kind: 'closed', code: 1012, reason: 'draining' },
    });
    clock.advance(999);
    expect(ScriptedSocket.all).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(ScriptedSocket.all).toHaveLength(2);
    const second = lastSocket();
    second.open();
    second.receive(welcome);
    expect(second.sentOfType('join')).toEqual([{ type: 'join', mapId: MAP, lastSeq: 7 }]);
    expect(kinds().slice(4)).toEqual(['backoff', 'connecting', 'handshaking', 'joining']);
  });

  it('grows the backoff while connections keep failing, and starts over once joined', async () => {
    const { client, states } = makeClient(clock);
    clock.randomValue = 1;
    client.connect();
    await settle();
    for (let i = 0; i < 3; i++) {
      lastSocket().drop(1006);
      clock.advance((states.at(-1) as { retryInMs: number }).retryInMs);
      await settle();
    }
    const delays = states.filter((s) => s.kind === 'backoff').map((s) => s.retryInMs);
    expect(delays).toEqual([1000, 2000, 4000]);
    const socket = lastSocket();
    socket.open();
    socket.receive(welcome);
    socket.receive(snapshot());
    socket.drop(1006);
    expect(states.at(-1)).toMatchObject({ kind: 'backoff', attempt: 0, retryInMs: 1000 });
  });

  it('stops on 1008 as "closed", keeps unanswered ops pending, and does not reconnect', async () => {
    const { client, states } = makeClient(clock);
    const socket = await join(client);
    const opId = client.createFeature(point(1));
    expect(socket.sentOfType('op').map((m) => m.opId)).toHaveLength(1);
    socket.drop(CloseCode.POLICY_VIOLATION, 'rate limit exceeded');
    expect(states.at(-1)).toEqual({ kind: 'closed', code: 1008, reason: 'rate limit exceeded' });
    expect(client.pendingCount).toBe(1);
    clock.advance(60_000);
    await settle();
    expect(ScriptedSocket.all).toHaveLength(1);
    // The person retries: the op goes out again with the same id once joined.
    client.connect();
    await settle();
    const again = lastSocket();
    again.open();
    again.receive(welcome);
    again.receive({ type: 'replay', mapId: MAP, fromSeq: 1, toSeq: 0, ops: [], role: 'edit', presence: [] });
    expect(again.sentOfType('op').map((m) => m.opId)).toHaveLength(1);
    expect(client.replica.pending.map((p) => p.opId)).toContain(again.sentOfType('op')[0]?.opId ?? 'missing');
    expect(opId).toBeTruthy();
  });

  it('returns to idle on close() from any state, and connect() starts again', async () => {
    const { client, kinds } = makeClient(clock);
    client.connect();
    await settle();
    client.close();
    expect(kinds()).toEqual(['connecting', 'idle']);
    const socket = await join(client);
    client.close();
    expect(socket.readyState).toBe(3);
    expect(kinds().at(-1)).toBe('idle');
    expect(() => clock.advance(60_000)).not.toThrow();
    expect(ScriptedSocket.all).toHaveLength(2);
  });

  it('opens one socket when close() and connect() come while a token is on its way', async () => {
    let release: (token: string) => void = () => {};
    const client = new MeridianClient({
      url: 'ws://test/ws',
      mapId: MAP,
      getToken: () => new Promise<string>((resolve) => (release = resolve)),
      user: { name: 'A', color: '#000000' },
      WebSocket: ScriptedWebSocket,
      pingIntervalMs: 0,
      clock,
    });
    client.connect();
    const first = release;
    client.close();
    client.connect();
    first('stale');
    release('fresh');
    await settle();
    expect(ScriptedSocket.all.map((s) => s.protocols)).toEqual([['meridian', 'bearer.fresh']]);
    expect(client.status).toEqual({ kind: 'connecting', attempt: 0 });
  });

  it('allows only the listed transitions', () => {
    expect(canTransition('idle', 'joined')).toBe(false);
    expect(canTransition('joined', 'joining')).toBe(false);
    expect(canTransition('backoff', 'joined')).toBe(false);
    expect(canTransition('joining', 'joining')).toBe(true);
    expect(canTransition('closed', 'connecting')).toBe(true);
    expect(() => transition({ kind: 'idle' }, { kind: 'joined' })).toThrow(/idle to joined/);
  });
});

describe('joins refused for a transient reason', () => {
  it('retries the join on the same socket until it succeeds, then sends the queued edits', async () => {
    const { client, states } = makeClient(clock);
    const queued = [client.createFeature(point(1)), client.createFeature(point(2))];
    client.connect();
    await settle();
    const socket = lastSocket();
    socket.open();
    socket.receive(welcome);
    clock.randomValue = 1;
    for (let attempt = 0; attempt < 3; attempt++) {
      socket.receive({
        type: 'error',
        code: ErrorCode.STORAGE_UNAVAILABLE,
        message: 'storage is unavailable; try again shortly',
        ref: 'join',
        mapId: MAP,
      });
      const state = states.at(-1);
      expect(state).toMatchObject({ kind: 'joining', attempt, retry: { code: 'STORAGE_UNAVAILABLE' } });
      expect(socket.sentOfType('join')).toHaveLength(attempt + 1);
      clock.advance((state as { retry: { inMs: number } }).retry.inMs);
      expect(socket.sentOfType('join')).toHaveLength(attempt + 2);
    }
    expect(socket.sentOfType('op')).toEqual([]);
    socket.receive(snapshot());
    expect(client.joined).toBe(true);
    expect(socket.sentOfType('op').map((m) => m.op.kind === 'feature.create' && m.op.feature.id)).toEqual(
      queued,
    );
    expect(ScriptedSocket.all).toHaveLength(1);
  });

  it('an old server that answers the join with an error without ref is retried the same way', async () => {
    const { client } = makeClient(clock);
    client.connect();
    await settle();
    const socket = lastSocket();
    socket.open();
    socket.receive(welcome);
    socket.receive({ type: 'error', code: ErrorCode.STORAGE_UNAVAILABLE, message: 'down' });
    clock.advance(BACKOFF.initialMs);
    expect(socket.sentOfType('join')).toHaveLength(2);
  });

  it('a permanent refusal (forbidden) ends as closed, with the code in the reason', async () => {
    const { client, states } = makeClient(clock);
    client.connect();
    await settle();
    const socket = lastSocket();
    socket.open();
    socket.receive(welcome);
    socket.receive({ type: 'error', code: ErrorCode.FORBIDDEN, message: 'nope', ref: 'join', mapId: MAP });
    expect(states.at(-1)).toMatchObject({ kind: 'closed', reason: 'FORBIDDEN: nope' });
    clock.advance(60_000);
    expect(socket.sentOfType('join')).toHaveLength(1);
  });
});

describe('ops refused for a transient reason', () => {
  it('keeps the op pending and resends it with the same op id after max(retryAfterMs, jittered backoff)', async () => {
    const { client, rejected } = makeClient(clock);
    const socket = await join(client);
    client.createFeature(point(1), { title: 'A' }, 'f-a');
    client.createFeature(point(2), { title: 'B' }, 'f-b');
    const [createOpId, other] = client.replica.pending.map((p) => p.opId) as [string, string];
    // Same feature as the first op: it waits until that one is answered.
    const retitle = client.updateFeature('f-a', { title: 'A2' });
    const sentIds = () => socket.sentOfType('op').map((m) => m.opId);
    expect(sentIds()).toEqual([createOpId, other]);
    clock.randomValue = 0.5;
    // Jitter would allow 500 ms; the server asked for 3 s.
    socket.receive({
      type: 'reject',
      mapId: MAP,
      opId: createOpId,
      code: ErrorCode.OVERLOADED,
      message: 'busy',
      retryAfterMs: 3000,
    });
    expect(rejected).toMatchObject([
      {
        opId: createOpId,
        op: { kind: 'feature.create' },
        code: 'OVERLOADED',
        message: 'busy',
        final: false,
        retryInMs: 3000,
      },
    ]);
    expect(client.pendingCount).toBe(3);
    expect(client.features.get('f-a')?.properties.title).toBe('A2');
    clock.advance(2999);
    expect(sentIds()).toHaveLength(2);
    clock.advance(1);
    expect(sentIds()).toEqual([createOpId, other, createOpId]);
    socket.receive({ type: 'ack', mapId: MAP, opId: createOpId, seq: 1 });
    expect(sentIds()).toEqual([createOpId, other, createOpId, retitle]);
  });

  it('backs off further on each refusal of the same op, with full jitter below the ceiling', async () => {
    const { client, rejected } = makeClient(clock);
    const socket = await join(client);
    const opId = client.renameMap('x');
    clock.randomValue = 0.999;
    for (let i = 0; i < 4; i++) {
      socket.receive({
        type: 'reject',
        mapId: MAP,
        opId,
        code: ErrorCode.STORAGE_UNAVAILABLE,
        message: 'down',
      });
      clock.advance(rejected.at(-1)?.retryInMs ?? 0);
    }
    expect(rejected.map((r) => r.retryInMs)).toEqual([999, 1998, 3996, 7992]);
    expect(socket.sentOfType('op').every((m) => m.opId === opId)).toBe(true);
    expect(socket.sentOfType('op')).toHaveLength(5);
    clock.randomValue = 0;
    socket.receive({ type: 'reject', mapId: MAP, opId, code: ErrorCode.RATE_LIMITED, message: 'slow' });
    expect(rejected.at(-1)?.retryInMs).toBe(0);
  });

  it('removes the op only for a permanent code, and says so with final: true', async () => {
    const { client, rejected } = makeClient(clock);
    const socket = await join(client);
    const id = 'f-meeting';
    const opId = client.moveFeature(id, point(3));
    socket.receive({
      type: 'reject',
      mapId: MAP,
      opId,
      code: ErrorCode.FEATURE_NOT_FOUND,
      message: 'no feature',
    });
    expect(rejected).toEqual([
      {
        opId,
        op: { kind: 'feature.move', id, geometry: point(3) },
        code: 'FEATURE_NOT_FOUND',
        message: 'no feature',
        final: true,
      },
    ]);
    expect(client.pendingCount).toBe(0);
    clock.advance(60_000);
    expect(socket.sentOfType('op')).toHaveLength(1);
  });

  it("resends unanswered ops after an old server's RATE_LIMITED error that names no op", async () => {
    const { client, rejected } = makeClient(clock);
    const socket = await join(client);
    const answered = client.deleteFeature('f-1');
    const dropped = client.deleteFeature('f-2');
    socket.receive({
      type: 'error',
      code: ErrorCode.RATE_LIMITED,
      message: 'slow down: message rate limit exceeded',
    });
    const made = client.deleteFeature('f-3');
    socket.receive({ type: 'ack', mapId: MAP, opId: answered, seq: 1 });
    expect(socket.sentOfType('op').map((m) => m.opId)).toEqual([answered, dropped]);
    clock.advance(BACKOFF.maxMs);
    expect(socket.sentOfType('op').map((m) => m.opId)).toEqual([answered, dropped, dropped, made]);
    expect(rejected).toEqual([]);
    expect(client.pendingCount).toBe(3);
  });

  it('paces every op, new ones included, at the burst then the per-second rate', async () => {
    const { client } = makeClient(clock, { window: 1000, burst: 5, perSecond: 10 });
    const socket = await join(client);
    for (let i = 0; i < 12; i++) client.deleteFeature(`f-${i}`);
    expect(socket.sentOfType('op')).toHaveLength(5);
    clock.advance(300);
    expect(socket.sentOfType('op')).toHaveLength(8);
    clock.advance(400);
    expect(socket.sentOfType('op')).toHaveLength(12);
    expect(client.queuedCount).toBe(0);
  });
});

describe('typed events', () => {
  it("says which features changed and whether the edit was local or someone else's", async () => {
    const { client } = makeClient(clock);
    const socket = await join(client);
    const events: unknown[] = [];
    client.on('featuresChanged', (event) =>
      events.push({ ...event, ids: event.ids === 'all' ? 'all' : [...event.ids] }),
    );
    const mine = client.createFeature(point(1), {}, 'f-mine');
    socket.receive({
      type: 'op',
      mapId: MAP,
      record: {
        seq: 1,
        opId: 'o-other',
        clientId: 'c-bob',
        op: {
          kind: 'feature.create',
          feature: { type: 'Feature', id: 'f-bob', geometry: point(2), properties: {}, version: 0 },
        },
        at: 0,
      },
    });
    expect(events).toEqual([
      { ids: [mine], origin: 'local' },
      { ids: ['f-bob', mine], origin: 'remote', by: { clientId: 'c-bob', opKind: 'feature.create' } },
    ]);
  });

  it('checks an import before sending it, unless the caller says it validated the features', async () => {
    const { client } = makeClient(clock);
    const socket = await join(client);
    const odd = { ...feature('a'), version: -1 };
    expect(() => client.importFeatures([odd])).toThrow(/feature 0: version/);
    expect(socket.sentOfType('op')).toHaveLength(0);
    void client.importFeatures([odd], { validated: true });
    expect(socket.sentOfType('op')).toHaveLength(1);
  });

  it('tells a replayed import chunk with its author and batch, as a live one', async () => {
    const { client } = makeClient(clock);
    const socket = await join(client);
    const events: unknown[] = [];
    client.on('featuresChanged', ({ ids, by, bulk }) =>
      events.push({ ids: ids === 'all' ? 'all' : [...ids], by, bulk }),
    );
    const batch = { id: 'b-bob', total: 2 };
    socket.receive({
      type: 'replay',
      mapId: MAP,
      fromSeq: 1,
      toSeq: 2,
      ops: [
        {
          seq: 1,
          opId: 'o-bob',
          clientId: 'c-bob',
          op: { kind: 'features.import', features: [feature('c'), feature('d')], batch },
          at: 0,
        },
        {
          seq: 2,
          opId: 'o-bob-2',
          clientId: 'c-bob',
          op: { kind: 'feature.delete', id: 'c' },
          at: 0,
        },
      ],
    });
    expect(events).toEqual([
      {
        ids: ['c', 'd'],
        by: { clientId: 'c-bob', opKind: 'features.import', batch },
        bulk: { batch },
      },
      { ids: ['c'], by: undefined, bulk: undefined },
    ]);
  });

  it('marks the chunks of a bulk op, local and remote, with the import they belong to', async () => {
    const { client } = makeClient(clock);
    const socket = await join(client);
    const bulk: unknown[] = [];
    client.on('featuresChanged', (event) => bulk.push(event.bulk));
    void client.importFeatures([feature('a'), feature('b')]);
    const sent = socket.sentOfType('op')[0] as { op: { batch: { id: string; total: number } } };
    expect(sent.op.batch.total).toBe(2);
    const batch = { id: 'b-bob', total: 3 };
    socket.receive({
      type: 'op',
      mapId: MAP,
      record: {
        seq: 1,
        opId: 'o-bob',
        clientId: 'c-bob',
        op: { kind: 'features.import', features: [feature('c'), feature('d')], batch },
        at: 0,
      },
    });
    // An undo's delete names no batch: still a bulk chunk.
    socket.receive({
      type: 'op',
      mapId: MAP,
      record: {
        seq: 2,
        opId: 'o-bob-2',
        clientId: 'c-bob',
        op: { kind: 'features.delete', ids: ['c'] },
        at: 0,
      },
    });
    client.createFeature(point(1), {}, 'f-mine');
    expect(bulk).toEqual([{ batch: sent.op.batch }, { batch }, {}, undefined]);
  });
});

describe('gaps on a live connection', () => {
  const create = (seq: number) => ({
    type: 'op' as const,
    mapId: MAP,
    record: {
      seq,
      opId: `o-${seq}`,
      clientId: 'c-bob',
      op: {
        kind: 'feature.create' as const,
        feature: {
          type: 'Feature' as const,
          id: `f-${seq}`,
          geometry: point(seq),
          properties: {},
          version: 0,
        },
      },
      at: 0,
    },
  });
  const syncs = (socket: ScriptedSocket) => socket.sent.filter((m) => m.type === 'sync');

  it('asks for a missing range once, and again after a transient refusal of that sync', async () => {
    const { client } = makeClient(clock);
    const socket = await join(client);
    socket.receive(create(1));
    socket.receive(create(4));
    socket.receive(create(5));
    expect(syncs(socket)).toEqual([{ type: 'sync', mapId: MAP, fromSeq: 2, toSeq: 3 }]);

    socket.receive({
      type: 'error',
      code: ErrorCode.RATE_LIMITED,
      message: 'slow down',
      ref: 'sync',
      mapId: MAP,
      retryAfterMs: 700,
    });
    clock.advance(699);
    expect(syncs(socket)).toHaveLength(1);
    clock.advance(1);
    expect(syncs(socket)).toEqual([
      { type: 'sync', mapId: MAP, fromSeq: 2, toSeq: 3 },
      { type: 'sync', mapId: MAP, fromSeq: 2, toSeq: 3 },
    ]);

    socket.receive({
      type: 'replay',
      mapId: MAP,
      fromSeq: 2,
      toSeq: 3,
      ops: [create(2).record, create(3).record],
    });
    expect(client.seq).toBe(5);
  });

  it('asks on when a sync answer stops short of the range (its records were many bytes)', async () => {
    const { client } = makeClient(clock);
    const socket = await join(client);
    socket.receive(create(1));
    socket.receive(create(5));
    expect(syncs(socket)).toEqual([{ type: 'sync', mapId: MAP, fromSeq: 2, toSeq: 4 }]);
    socket.receive({ type: 'replay', mapId: MAP, fromSeq: 2, toSeq: 2, ops: [create(2).record] });
    expect(syncs(socket).at(-1)).toEqual({ type: 'sync', mapId: MAP, fromSeq: 3, toSeq: 4 });
    socket.receive({
      type: 'replay',
      mapId: MAP,
      fromSeq: 3,
      toSeq: 4,
      ops: [create(3).record, create(4).record],
    });
    expect(client.seq).toBe(5);
    expect(syncs(socket)).toHaveLength(2);
  });
});

describe('an import across a dead node', () => {
  it('counts a chunk committed but never acknowledged once its record comes in the resume replay', async () => {
    const { client } = makeClient(clock, { window: 64, burst: 1000, perSecond: 1000 });
    const first = await join(client);
    const acks: string[] = [];
    client.on('ack', (opId) => acks.push(opId));
    const done = client.importFeatures([feature('a'), feature('b')], { maxFrameBytes: 660 });
    await settle();
    const sent = first.sentOfType('op');
    expect(sent).toHaveLength(2);
    // The node committed both chunks, acknowledged only the first, and died.
    first.receive({ type: 'ack', mapId: MAP, opId: sent[0]?.opId ?? '', seq: 1 });
    first.drop(CloseCode.SERVICE_RESTART, 'gone');
    clock.advance(1000);
    await settle();
    const second = lastSocket();
    second.open();
    second.receive(welcome);
    const record = (seq: number, index: number) => ({
      seq,
      opId: sent[index]?.opId ?? '',
      clientId: 'c-test',
      op: sent[index]?.op as never,
      at: 1,
    });
    second.receive({
      type: 'replay',
      mapId: MAP,
      fromSeq: 1,
      toSeq: 2,
      ops: [record(1, 0), record(2, 1)],
      role: 'edit',
      presence: [],
    });
    const result = await done;
    expect(result.opIds).toEqual(sent.map((op) => op.opId));
    expect(acks).toEqual(result.opIds);
    // Nothing resent: both are committed.
    expect(second.sentOfType('op')).toEqual([]);
    expect(client.pendingCount).toBe(0);
  });
});
