import { describe, expect, it } from 'vitest';
import { ErrorCode } from './codes.ts';
import { LIMITS } from './limits.ts';
import { parseBusMessage, parseClientMessage, parseServerMessage } from './parse.ts';
import { PROTOCOL_VERSION } from './version.ts';

const point = { type: 'Point', coordinates: [2.35, 48.85] };
const feature = { type: 'Feature', id: 'f1', geometry: point, properties: { title: 'Paris' }, version: 0 };
const op = (o: unknown) => JSON.stringify({ type: 'op', mapId: 'm1', opId: 'o1', op: o });
const create = (geometry: unknown, properties: unknown = {}) =>
  op({ kind: 'feature.create', feature: { ...feature, geometry, properties } });

describe('parseClientMessage accepts the protocol', () => {
  const valid: Array<[string, unknown]> = [
    [
      'hello',
      { type: 'hello', v: PROTOCOL_VERSION, clientId: 'c1', personId: 'p1', name: 'Ada', color: '#3366ff' },
    ],
    ['join', { type: 'join', mapId: 'm1', lastSeq: 4 }],
    ['leave', { type: 'leave', mapId: 'm1' }],
    ['create point', { type: 'op', mapId: 'm1', opId: 'o1', op: { kind: 'feature.create', feature } }],
    [
      'update',
      {
        type: 'op',
        mapId: 'm1',
        opId: 'o1',
        op: {
          kind: 'feature.update',
          id: 'f1',
          properties: { title: null, 'marker-color': '#abc', note: { tags: ['a'] } },
        },
      },
    ],
    [
      'move line',
      {
        type: 'op',
        mapId: 'm1',
        opId: 'o1',
        op: {
          kind: 'feature.move',
          id: 'f1',
          geometry: {
            type: 'LineString',
            coordinates: [
              [0, 0],
              [1, 1, 20],
            ],
          },
        },
      },
    ],
    ['delete', { type: 'op', mapId: 'm1', opId: 'o1', op: { kind: 'feature.delete', id: 'f1' } }],
    ['rename', { type: 'op', mapId: 'm1', opId: 'o1', op: { kind: 'map.rename', name: 'Lyon' } }],
    ['sync', { type: 'sync', mapId: 'm1', fromSeq: 3, toSeq: 5 }],
    [
      'presence',
      {
        type: 'presence',
        mapId: 'm1',
        cursor: [180, -90],
        viewport: { bounds: [-10, -10, 10, 10], zoom: 3, bearing: 0 },
      },
    ],
    ['follow', { type: 'follow', mapId: 'm1', target: null }],
    [
      'summon',
      {
        type: 'summon',
        mapId: 'm1',
        viewport: { bounds: [-10, -10, 10, 10], zoom: 3, bearing: 45, pitch: 10 },
      },
    ],
    ['ping', { type: 'ping', t: 123 }],
  ];
  it.each(valid)('%s', (_name, message) => {
    const result = parseClientMessage(JSON.stringify(message));
    expect(result.ok, JSON.stringify(result)).toBe(true);
  });

  it('accepts a closed polygon', () => {
    const ring = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 0],
    ];
    expect(parseClientMessage(create({ type: 'Polygon', coordinates: [ring] })).ok).toBe(true);
  });

  it("accepts Meridian's style keys beside simplestyle's, and null (removal) in a patch", () => {
    const styled = { 'stroke-dash': 'dot', 'show-label': false, 'marker-symbol': 'cafe', 'stroke-width': 3 };
    expect(parseClientMessage(create(point, styled)).ok).toBe(true);
    for (const dash of ['solid', 'dash', 'dot'])
      expect(parseClientMessage(create(point, { 'stroke-dash': dash })).ok).toBe(true);
    const unset = op({
      kind: 'feature.update',
      id: 'f1',
      properties: { 'stroke-dash': null, 'show-label': null },
    });
    expect(parseClientMessage(unset).ok).toBe(true);
  });
});

describe('parseClientMessage refuses malformed input with the right typed error', () => {
  const longString = 'x'.repeat(LIMITS.MAX_TITLE_CHARS + 1);
  const manyVertices = Array.from({ length: LIMITS.MAX_FEATURE_VERTICES + 1 }, (_, i) => [i % 180, 0]);
  const table: Array<[string, unknown, string, string?]> = [
    ['invalid JSON', '{"type":', ErrorCode.BAD_JSON],
    ['empty frame', '', ErrorCode.BAD_JSON],
    ['JSON array', '[1,2]', ErrorCode.INVALID_MESSAGE],
    ['JSON string', '"hello"', ErrorCode.INVALID_MESSAGE],
    ['JSON null', 'null', ErrorCode.INVALID_MESSAGE],
    ['missing type', '{"mapId":"m1"}', ErrorCode.INVALID_MESSAGE, 'type'],
    ['numeric type', '{"type":7}', ErrorCode.INVALID_MESSAGE, 'type'],
    ['unknown type', '{"type":"launchMissiles"}', ErrorCode.UNKNOWN_TYPE],
    ['server-only type from a client', '{"type":"welcome"}', ErrorCode.UNKNOWN_TYPE],
    ['wrong field type', '{"type":"join","mapId":42}', ErrorCode.INVALID_MESSAGE, 'mapId'],
    ['negative seq', '{"type":"join","mapId":"m1","lastSeq":-1}', ErrorCode.INVALID_MESSAGE, 'lastSeq'],
    ['fractional seq', '{"type":"join","mapId":"m1","lastSeq":1.5}', ErrorCode.INVALID_MESSAGE, 'lastSeq'],
    ['id with bad characters', '{"type":"join","mapId":"../etc"}', ErrorCode.INVALID_MESSAGE, 'mapId'],
    [
      'NaN coordinate (as a string the schema refuses)',
      create({ type: 'Point', coordinates: ['NaN', 0] }),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'null coordinate (what JSON makes of NaN)',
      create({ type: 'Point', coordinates: [null, 0] }),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'Infinity-sized coordinate',
      create({ type: 'Point', coordinates: [0, 0] }).replace('[0,0]', '[1e400,0]'),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'longitude out of range',
      create({ type: 'Point', coordinates: [180.0001, 0] }),
      ErrorCode.INVALID_MESSAGE,
    ],
    ['latitude out of range', create({ type: 'Point', coordinates: [0, -90.5] }), ErrorCode.INVALID_MESSAGE],
    ['position with one number', create({ type: 'Point', coordinates: [1] }), ErrorCode.INVALID_MESSAGE],
    [
      'line with one vertex',
      create({ type: 'LineString', coordinates: [[0, 0]] }),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'line with too many vertices',
      create({ type: 'LineString', coordinates: manyVertices }),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'open polygon ring',
      create({
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ],
        ],
      }),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'nested GeometryCollection',
      create({
        type: 'GeometryCollection',
        geometries: [{ type: 'GeometryCollection', geometries: [point] }],
      }),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'multipolygon with an open ring',
      create({
        type: 'MultiPolygon',
        coordinates: [
          [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 1],
            ],
          ],
        ],
      }),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'too many parts',
      create({ type: 'MultiPoint', coordinates: [] })
        .replace(
          '"coordinates":[]',
          `"coordinates":[${Array(LIMITS.MAX_GEOMETRY_PARTS + 1)
            .fill('[[0,0],[1,1]]')
            .join(',')}]`,
        )
        .replace('MultiPoint', 'MultiLineString'),
      ErrorCode.INVALID_MESSAGE,
    ],
    ['oversized title', create(point, { title: longString }), ErrorCode.INVALID_MESSAGE],
    ['bad colour', create(point, { 'marker-color': 'red' }), ErrorCode.INVALID_MESSAGE],
    ['bad marker-size', create(point, { 'marker-size': 'huge' }), ErrorCode.INVALID_MESSAGE],
    ['stroke-opacity over 1', create(point, { 'stroke-opacity': 1.5 }), ErrorCode.INVALID_MESSAGE],
    [
      'unknown stroke-dash',
      create(point, { 'stroke-dash': '4 2' }),
      ErrorCode.INVALID_MESSAGE,
      'op.feature.properties.stroke-dash',
    ],
    [
      'show-label as a string',
      create(point, { 'show-label': 'no' }),
      ErrorCode.INVALID_MESSAGE,
      'op.feature.properties.show-label',
    ],
    ['javascript: url', create(point, { url: 'javascript:alert(1)' }), ErrorCode.INVALID_MESSAGE],
    [
      'too many property keys',
      create(
        point,
        Object.fromEntries(Array.from({ length: LIMITS.MAX_PROPERTY_KEYS + 1 }, (_, i) => [`k${i}`, i])),
      ),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'properties nested too deep',
      create(point, {
        a: JSON.parse(`${'['.repeat(LIMITS.MAX_PROPERTY_DEPTH)}1${']'.repeat(LIMITS.MAX_PROPERTY_DEPTH)}`),
      }),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'property value over the byte bound',
      create(point, { big: 'x'.repeat(LIMITS.MAX_PROPERTIES_BYTES) }),
      ErrorCode.INVALID_MESSAGE,
    ],
    ['properties that are an array', create(point, [1, 2]), ErrorCode.INVALID_MESSAGE],
    [
      'constructor key deep in properties',
      create(point, { a: { b: [{ constructor: 1 }] } }),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'a layer id that is not an id in an update patch',
      op({ kind: 'feature.update', id: 'f1', properties: { layer: 'not an id' } }),
      ErrorCode.INVALID_MESSAGE,
    ],
    ['empty import', op({ kind: 'features.import', features: [] }), ErrorCode.INVALID_MESSAGE],
    [
      'import over the feature bound',
      op({ kind: 'features.import', features: Array(LIMITS.MAX_IMPORT_FEATURES_PER_OP + 1).fill(feature) }),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'import with one bad feature',
      op({
        kind: 'features.import',
        features: [feature, { ...feature, geometry: { type: 'Point', coordinates: [0, 91] } }],
      }),
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      'delete over the id bound',
      op({ kind: 'features.delete', ids: Array(LIMITS.MAX_DELETE_IDS_PER_OP + 1).fill('f1') }),
      ErrorCode.INVALID_MESSAGE,
    ],
    ['__proto__ key', '{"type":"join","mapId":"m1","__proto__":{"admin":true}}', ErrorCode.INVALID_MESSAGE],
    [
      'constructor key',
      '{"type":"leave","mapId":"m1","constructor":{"prototype":{"x":1}}}',
      ErrorCode.INVALID_MESSAGE,
    ],
    [
      '__proto__ in properties',
      create(point, JSON.parse('{"__proto__":{"polluted":1}}')).replace(
        '"properties":{}',
        '"properties":{"__proto__":{"polluted":1}}',
      ),
      ErrorCode.INVALID_MESSAGE,
    ],
    ['unknown op kind', op({ kind: 'feature.explode', id: 'f1' }), ErrorCode.INVALID_MESSAGE],
    ['sync range backwards', '{"type":"sync","mapId":"m1","fromSeq":5,"toSeq":3}', ErrorCode.INVALID_MESSAGE],
    [
      'hello without version',
      '{"type":"hello","clientId":"c1","name":"A","color":"#000000"}',
      ErrorCode.INVALID_MESSAGE,
      'v',
    ],
    [
      'blank display name',
      '{"type":"hello","v":1,"clientId":"c1","name":"   ","color":"#000000"}',
      ErrorCode.INVALID_MESSAGE,
      'name',
    ],
    [
      'frame over the limit',
      `{"type":"ping","t":1,"pad":"${'x'.repeat(LIMITS.MAX_FRAME_BYTES)}"}`,
      ErrorCode.FRAME_TOO_LARGE,
    ],
    ['binary frame', new Uint8Array([1, 2, 3]), ErrorCode.BINARY_NOT_SUPPORTED],
    ['ArrayBuffer', new ArrayBuffer(8), ErrorCode.BINARY_NOT_SUPPORTED],
  ];

  it.each(table)('%s', (_name, raw, code, path) => {
    // Unbounded frames, so the schema's own bounds are what refuses (the frame bound is tested apart).
    const result = parseClientMessage(
      raw,
      code === ErrorCode.FRAME_TOO_LARGE ? undefined : Number.POSITIVE_INFINITY,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(code);
    expect(result.error.message.length).toBeGreaterThan(0);
    if (path) expect(result.error.path).toBe(path);
  });

  it('never lets prototype pollution through', () => {
    parseClientMessage('{"type":"join","mapId":"m1","__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never throws, whatever it is given', () => {
    const inputs: unknown[] = [
      undefined,
      null,
      0,
      Symbol('x'),
      () => 1,
      { type: 'hello' },
      '\u0000',
      '{"type":"op","op":null}',
    ];
    for (const input of inputs) expect(() => parseClientMessage(input)).not.toThrow();
  });
});

describe('server and bus parsing', () => {
  it('parses an ack and refuses a client type', () => {
    expect(parseServerMessage('{"type":"ack","mapId":"m1","opId":"o1","seq":3}').ok).toBe(true);
    const bad = parseServerMessage('{"type":"hello"}');
    expect(!bad.ok && bad.error.code).toBe(ErrorCode.UNKNOWN_TYPE);
  });
  it('parses a bus op and refuses a bus op without a node id', () => {
    const record = { seq: 1, opId: 'o1', clientId: 'c1', op: { kind: 'feature.delete', id: 'f1' }, at: 1 };
    expect(parseBusMessage(JSON.stringify({ type: 'op', mapId: 'm1', nodeId: 'n1', record })).ok).toBe(true);
    expect(parseBusMessage(JSON.stringify({ type: 'op', mapId: 'm1', record })).ok).toBe(false);
  });
});
