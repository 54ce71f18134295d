import { loadSnapshot } from '@meridian/db';
import { ErrorCode, LIMITS } from '@meridian/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CreatedMap, createMapVia, type EmbeddedNode, startEmbeddedNode, tokenVia } from './harness.ts';
import { RawSocket } from './raw-socket.ts';
import { waitFor } from './wait.ts';

// Hostile features and batches sent to a running node: each refused with a typed error, nothing
// stored, the node still taking a good import afterwards. Frames may be large here (16 MiB) so
// that the model's own bounds, not the frame limit, are what refuses them.

let node: EmbeddedNode;
let created: CreatedMap;
let token: string;
/** Answers already matched to a case. */
const seen = new Set<unknown>();

beforeAll(async () => {
  node = await startEmbeddedNode({ env: { MAX_FRAME_BYTES: String(16 * 1024 * 1024) } });
  created = await createMapVia(node.httpUrl, 'Hostile imports');
  token = await tokenVia(node.httpUrl, created.map.id, created.editKey);
});

afterAll(async () => {
  await node?.stop();
});

const ring = [
  [0, 0],
  [1, 0],
  [1, 1],
  [0, 0],
];
const good = (
  id: string,
  geometry: unknown = { type: 'Point', coordinates: [1, 2] },
  properties: unknown = {},
) => ({
  type: 'Feature',
  id,
  geometry,
  properties,
  version: 0,
});

const cases: [string, string][] = [
  [
    'a feature over the vertex bound',
    JSON.stringify({
      kind: 'features.import',
      features: [
        good('v', {
          type: 'MultiPoint',
          coordinates: Array.from({ length: LIMITS.MAX_FEATURE_VERTICES + 1 }, (_, i) => [i % 180, 0]),
        }),
      ],
    }),
  ],
  [
    'a batch over the feature bound',
    JSON.stringify({
      kind: 'features.import',
      features: Array.from({ length: LIMITS.MAX_IMPORT_FEATURES_PER_OP + 1 }, (_, i) => good(`b${i}`)),
    }),
  ],
  [
    'a nested GeometryCollection',
    JSON.stringify({
      kind: 'features.import',
      features: [
        good('g', {
          type: 'GeometryCollection',
          geometries: [{ type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [0, 0] }] }],
        }),
      ],
    }),
  ],
  // NaN is not JSON (BAD_JSON, below); JSON.stringify turns it into null.
  [
    'a NaN coordinate as JSON.stringify writes it',
    JSON.stringify({
      kind: 'features.import',
      features: [good('n', { type: 'Point', coordinates: [Number.NaN, 2] })],
    }),
  ],
  [
    'a bare NaN',
    JSON.stringify({ kind: 'features.import', features: [good('n')] }).replace('[1,2]', '[NaN,2]'),
  ],
  [
    'an unclosed ring',
    JSON.stringify({
      kind: 'features.import',
      features: [good('r', { type: 'Polygon', coordinates: [ring.slice(0, 3).concat([[0, 1]])] })],
    }),
  ],
  [
    '__proto__ in properties',
    JSON.stringify({ kind: 'features.import', features: [good('p')] }).replace(
      '"properties":{}',
      '"properties":{"ok":1,"deep":{"__proto__":{"admin":true}}}',
    ),
  ],
  [
    'a 10 MB property value',
    JSON.stringify({
      kind: 'features.import',
      features: [good('big', undefined, { blob: 'x'.repeat(10 * 1024 * 1024) })],
    }),
  ],
  [
    'one bad feature among good ones',
    JSON.stringify({
      kind: 'features.import',
      features: [good('ok1'), good('ok2'), good('bad', { type: 'Point', coordinates: [200, 0] })],
    }),
  ],
];

describe('hostile bulk ops', () => {
  it('refuses each with a typed error and stores nothing; a good import still lands', async () => {
    const socket = await RawSocket.open(`${node.wsUrl}?token=${token}`);
    await socket.joinMap(created.map.id, 'hostile');
    for (const [i, [name, op]] of cases.entries()) {
      socket.send(`{"type":"op","mapId":"${created.map.id}","opId":"bad-${i}","op":${op}}`);
      const answer = await waitFor(`an answer to ${name}`, () =>
        socket.frames.find(
          (f) =>
            (f.type === 'error' || f.type === 'reject') &&
            (f.opId === `bad-${i}` || f.type === 'error') &&
            !seen.has(f),
        ),
      );
      seen.add(answer);
      const code = name === 'a bare NaN' ? ErrorCode.BAD_JSON : ErrorCode.INVALID_MESSAGE;
      expect([answer.type, answer.code], name).toEqual(['error', code]);
      expect(socket.isOpen, name).toBe(true);
    }
    expect(socket.count('ack')).toBe(0);
    expect((await loadSnapshot(node.db, created.map.id))?.features).toEqual([]);
    expect((await loadSnapshot(node.db, created.map.id))?.seq).toBe(0);

    socket.send({
      type: 'op',
      mapId: created.map.id,
      opId: 'good',
      op: {
        kind: 'features.import',
        features: [good('a'), good('b', { type: 'MultiPolygon', coordinates: [[ring]] })],
      },
    });
    expect(await socket.next('ack', (f) => f.opId === 'good')).toMatchObject({ seq: 1 });
    expect((await loadSnapshot(node.db, created.map.id))?.features.map((f) => f.id)).toEqual(['a', 'b']);
    socket.close();
  });
});
