import v8 from 'node:v8';
import vm from 'node:vm';
import { CloseCode, ErrorCode, PROTOCOL_VERSION, stateHash } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CreatedMap,
  createMapVia,
  type EmbeddedNode,
  openClient,
  point,
  startEmbeddedNode,
  tokenVia,
  waitForSeq,
} from './harness.ts';
import { RawSocket } from './raw-socket.ts';
import { waitFor } from './wait.ts';

// A running node fed thousands of generated malformed and hostile messages: it must answer each
// with the right error or close code, stay up, leave the map's other clients alone, and give
// its memory back.

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

let node: EmbeddedNode;
let created: CreatedMap;
let token: string;
let alice: MeridianClient;
let bob: MeridianClient;
const bystanderEvents: string[] = [];
let sent = 0;

/** mulberry32: a seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.TEST_FUZZ_SEED ?? 20_261_126);
const rand = random(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const garbage = (length: number) =>
  Array.from({ length }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join('');

interface Case {
  frame: string;
  expect: ErrorCode;
}

/** One malformed or hostile frame and the error code it must get; never closes by itself. */
function malformed(mapId: string): Case {
  const feature = (coordinates: unknown) => ({
    type: 'op',
    mapId,
    opId: 'o-fuzz',
    op: {
      kind: 'feature.create',
      feature: {
        type: 'Feature',
        id: 'f',
        geometry: { type: 'Point', coordinates },
        properties: {},
        version: 0,
      },
    },
  });
  const json = (value: unknown, code: ErrorCode): Case => ({ frame: JSON.stringify(value), expect: code });
  const generators: (() => Case)[] = [
    () => ({
      frame: garbage(1 + Math.floor(rand() * 200)).replace(/^[[{"\d-]/, '@'),
      expect: ErrorCode.BAD_JSON,
    }),
    () => {
      const valid = JSON.stringify({ type: 'ping', t: rand() });
      return {
        frame: valid.slice(0, 1 + Math.floor(rand() * (valid.length - 2))),
        expect: ErrorCode.BAD_JSON,
      };
    },
    () => ({
      frame: pick(['{"type":"ping",}', "{'type':'ping'}", '{"type":"ping","t":NaN}', '[[[[[', '{"a":1}}']),
      expect: ErrorCode.BAD_JSON,
    }),
    () => json(pick([1, 'hello', null, [], [1, 2], true]), ErrorCode.INVALID_MESSAGE),
    () =>
      json(
        pick([{}, { type: 7 }, { type: null }, { type: { nested: true } }, { t: 1 }]),
        ErrorCode.INVALID_MESSAGE,
      ),
    () =>
      json(
        { type: pick(['drop_table', '__proto__', 'constructor', 'toString', garbage(300)]) },
        ErrorCode.UNKNOWN_TYPE,
      ),
    () =>
      json(
        { type: 'hello', v: 'one', clientId: 'c', name: 'n', color: '#000000' },
        ErrorCode.INVALID_MESSAGE,
      ),
    () =>
      json(
        { type: 'join', mapId: pick(['bad id!', '', 'x'.repeat(65), '../../etc/passwd']) },
        ErrorCode.INVALID_MESSAGE,
      ),
    () =>
      json(
        feature(pick([[200, 10], [10, -91], [0], ['0', '0'], [0, 0, 0, 0], {}])),
        ErrorCode.INVALID_MESSAGE,
      ),
    // 1e400 parses to Infinity, which no coordinate schema accepts.
    () => ({
      frame: JSON.stringify(feature([0, 0])).replace('[0,0]', '[1e400,0]'),
      expect: ErrorCode.INVALID_MESSAGE,
    }),
    () =>
      json(
        {
          type: 'op',
          mapId,
          opId: 'o-poly',
          op: {
            kind: 'feature.move',
            id: 'f',
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [0, 0],
                  [1, 0],
                  [1, 1],
                  [0.5, 0.5],
                ],
              ],
            },
          },
        },
        ErrorCode.INVALID_MESSAGE,
      ),
    () => json({ type: 'presence', mapId, cursor: [181, 0] }, ErrorCode.INVALID_MESSAGE),
    () =>
      json(
        { type: 'presence', mapId, viewport: { bounds: [0, 0, 1, 1], zoom: 99, bearing: 0 } },
        ErrorCode.INVALID_MESSAGE,
      ),
    () => json({ type: 'sync', mapId, fromSeq: 10, toSeq: 2 }, ErrorCode.INVALID_MESSAGE),
    () => json({ type: 'ping', t: 'now' }, ErrorCode.INVALID_MESSAGE),
    () =>
      json(
        {
          type: 'op',
          mapId,
          opId: 'o',
          op: { kind: 'feature.update', id: 'f', properties: { title: 'x'.repeat(201) } },
        },
        ErrorCode.INVALID_MESSAGE,
      ),
    () =>
      json(
        {
          type: 'op',
          mapId,
          opId: 'o',
          op: { kind: 'feature.update', id: 'f', properties: { 'marker-color': 'red' } },
        },
        ErrorCode.INVALID_MESSAGE,
      ),
    () => ({
      frame: `{"type":"op","mapId":"${mapId}","opId":"o","op":{"kind":"feature.update","id":"f","properties":{"a":{"__proto__":{"polluted":true}}}}}`,
      expect: ErrorCode.INVALID_MESSAGE,
    }),
    // Prototype pollution attempt: an own "__proto__" key is just an unknown key to a strict schema.
    () => ({
      frame: `{"type":"presence","mapId":"${mapId}","__proto__":{"polluted":true}}`,
      expect: ErrorCode.INVALID_MESSAGE,
    }),
    () =>
      json({ type: 'ping', t: 1, extra: 'strict schemas refuse unknown keys' }, ErrorCode.INVALID_MESSAGE),
    // Deep nesting inside a value.
    () => ({
      frame: `{"type":"ping","t":${'['.repeat(2000)}${']'.repeat(2000)}}`,
      expect: ErrorCode.INVALID_MESSAGE,
    }),
  ];
  return pick(generators)();
}

beforeAll(async () => {
  node = await startEmbeddedNode();
  created = await createMapVia(node.httpUrl, 'Fuzzed');
  token = await tokenVia(node.httpUrl, created.map.id, created.editKey);
  alice = await openClient(node.wsUrl, { token, mapId: created.map.id, name: 'Alice' });
  bob = await openClient(node.wsUrl, { token, mapId: created.map.id, name: 'Bob' });
  for (const [name, client] of [
    ['alice', alice],
    ['bob', bob],
  ] as const) {
    client.on('close', (event) => bystanderEvents.push(`${name} closed ${event.code}`));
    client.on('error', (event) => bystanderEvents.push(`${name} error ${event.code}`));
    client.on('opRejected', (event) => bystanderEvents.push(`${name} reject ${event.code}`));
  }
});

afterAll(async () => {
  alice?.close();
  bob?.close();
  await node?.stop();
});

async function connect(): Promise<RawSocket> {
  return RawSocket.open(`${node.wsUrl}?token=${token}`);
}

function heapUsedAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

describe('bad input', () => {
  let baselineHeap = 0;

  it('answers every malformed message with its typed error and keeps the connection', async () => {
    // Warm up every code path once before measuring the heap.
    const warm = await connect();
    warm.send('{');
    await warm.next('error');
    warm.close();
    await warm.closed;
    baselineHeap = heapUsedAfterGc();

    const perConnection = 15;
    const connections = 560;
    const batch = 28;
    const mismatches: string[] = [];
    let editing = true;
    const edits = (async () => {
      for (let i = 0; editing && i < 200; i++) {
        (i % 2 ? alice : bob).createFeature(point((i % 360) - 180, (i % 170) - 85));
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
    })();
    for (let start = 0; start < connections; start += batch) {
      await Promise.all(
        Array.from({ length: batch }, async () => {
          const socket = await connect();
          const cases = Array.from({ length: perConnection }, () => malformed(created.map.id));
          for (const c of cases) socket.send(c.frame);
          sent += cases.length;
          await waitFor('an error per frame', () => socket.count('error') >= cases.length);
          const got = socket.frames
            .filter((f) => f.type === 'error')
            .map((f) => String(f.code))
            .sort();
          const want = cases.map((c) => c.expect as string).sort();
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            mismatches.push(`${JSON.stringify(cases.map((c) => c.frame.slice(0, 80)))} -> ${got}`);
          }
          if (!socket.isOpen) mismatches.push(`closed early: ${JSON.stringify(socket.closeInfo)}`);
          socket.close();
        }),
      );
    }
    editing = false;
    await edits;
    expect(mismatches).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(connections * perConnection);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('closes with the right code: 1008 for repeated invalid messages and floods, 1009 oversize, 1003 binary, 4000 version', async () => {
    const closes: Promise<{ code: number; expected: number; label: string }>[] = [];
    const expectClose = async (label: string, expected: number, act: (socket: RawSocket) => void) => {
      const socket = await connect();
      act(socket);
      const { code } = await socket.closed;
      return { code, expected, label };
    };
    for (let i = 0; i < 20; i++) {
      closes.push(
        expectClose('invalid budget', CloseCode.POLICY_VIOLATION, (socket) => {
          for (let k = 0; k < 40; k++) socket.send(malformed(created.map.id).frame);
          sent += 40;
        }),
      );
    }
    for (let i = 0; i < 8; i++) {
      closes.push(
        expectClose('flood', CloseCode.POLICY_VIOLATION, (socket) => {
          socket.send({
            type: 'hello',
            v: PROTOCOL_VERSION,
            clientId: `flood-${i}`,
            name: 'F',
            color: '#000000',
          });
          for (let k = 0; k < 500; k++) socket.send({ type: 'ping', t: k });
          sent += 501;
        }),
      );
    }
    for (let i = 0; i < 10; i++) {
      const size = node.config.maxFrameBytes + 1 + Math.floor(rand() * node.config.maxFrameBytes);
      closes.push(
        expectClose('oversize', CloseCode.MESSAGE_TOO_BIG, (socket) => {
          socket.send(`{"type":"ping","t":1,"pad":"${'x'.repeat(size)}"}`);
          sent += 1;
        }),
      );
      closes.push(
        expectClose('binary', CloseCode.UNSUPPORTED_DATA, (socket) => {
          socket.send(Buffer.from(garbage(64)));
          sent += 1;
        }),
      );
      closes.push(
        expectClose('version', CloseCode.UNSUPPORTED_PROTOCOL_VERSION, (socket) => {
          socket.send({ type: 'hello', v: 99 + i, clientId: `v-${i}`, name: 'V', color: '#000000' });
          sent += 1;
        }),
      );
    }
    // Far beyond the hard frame limit uWS drops the connection itself before buffering it.
    closes.push(
      expectClose('huge', 1006, (socket) => {
        socket.send('x'.repeat(node.config.maxBulkFrameBytes * 4));
        sent += 1;
      }),
    );
    const results = await Promise.all(closes);
    expect(results.filter((r) => r.code !== r.expected)).toEqual([]);
  });

  it('refuses semantic nonsense from a joined editor with typed rejects', async () => {
    const socket = await connect();
    await socket.joinMap(created.map.id, 'semantic-fuzzer');
    const ops = [
      { op: { kind: 'feature.delete', id: 'never-existed' }, code: ErrorCode.FEATURE_NOT_FOUND },
      {
        op: { kind: 'feature.move', id: 'never-existed', geometry: point(1, 1) },
        code: ErrorCode.FEATURE_NOT_FOUND,
      },
      {
        op: { kind: 'feature.update', id: 'never-existed', properties: { title: 'x' } },
        code: ErrorCode.FEATURE_NOT_FOUND,
      },
    ];
    for (let i = 0; i < 60; i++) {
      const { op } = ops[i % ops.length] as (typeof ops)[number];
      socket.send({ type: 'op', mapId: created.map.id, opId: `o-sem-${i}`, op });
    }
    socket.send({ type: 'op', mapId: 'AnotherMap1', opId: 'o-other', op: { kind: 'map.rename', name: 'X' } });
    sent += 61;
    await waitFor('61 rejects', () => socket.count('reject') >= 61, { timeoutMs: 30_000 });
    const codes = socket.frames.filter((f) => f.type === 'reject').map((f) => f.code);
    expect(codes.filter((c) => c === ErrorCode.FEATURE_NOT_FOUND)).toHaveLength(60);
    expect(codes).toContain(ErrorCode.NOT_JOINED);
    socket.close();
  });

  it('stays up, leaves the other clients unaffected, and gives its memory back', async () => {
    expect(sent).toBeGreaterThanOrEqual(10_000);
    expect((await fetch(`${node.httpUrl}/healthz`)).status).toBe(200);
    const edited = alice.createFeature(point(0, 0), { title: 'after the storm' });
    await waitForSeq([alice, bob], alice.seq + 1);
    expect(bob.features.get(edited)?.properties.title).toBe('after the storm');
    expect(stateHash(alice.replica.confirmed)).toBe(stateHash(bob.replica.confirmed));
    expect(alice.status.kind).toBe('joined');
    expect(bob.status.kind).toBe('joined');
    expect(bystanderEvents).toEqual([]);
    const late = await openClient(node.wsUrl, { token, mapId: created.map.id, name: 'Late' });
    expect(stateHash(late.replica.confirmed)).toBe(stateHash(alice.replica.confirmed));
    late.close();

    await waitFor('every fuzz socket to be gone', () => node.server.stats().connections === 2);
    // Generous bound: what matters is that ten thousand messages did not leave ten thousand things behind.
    const grownMb = (heapUsedAfterGc() - baselineHeap) / 1024 / 1024;
    expect(grownMb).toBeLessThan(24);
  });
});
