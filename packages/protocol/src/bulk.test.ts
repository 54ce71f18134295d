import { describe, expect, it } from 'vitest';
import { importChunks, validateImport } from './client/import.ts';
import { ErrorCode } from './codes.ts';
import { type Feature, oversizedFeature } from './geo.ts';
import { LIMITS } from './limits.ts';
import { parseBusMessage, parseClientMessage, parseServerMessage } from './parse.ts';
import { applyOp, createMapState, stateHash } from './state.ts';

const point = (id: string, i = 0): Feature => ({
  type: 'Feature',
  id,
  geometry: { type: 'Point', coordinates: [i % 180, 0, 35] },
  properties: { title: `p${i}`, population: i, tags: ['a', { nested: true }] },
  version: 0,
});

describe('features.import and features.delete', () => {
  it('imports all features at version 1, or none when one id exists', () => {
    const state = createMapState('m', [{ ...point('x'), version: 3 }]);
    const refused = applyOp(state, { kind: 'features.import', features: [point('a'), point('x')] });
    expect(refused).toMatchObject({ ok: false, code: ErrorCode.FEATURE_EXISTS });
    expect(state.features.has('a')).toBe(false);
    const twice = applyOp(state, { kind: 'features.import', features: [point('b'), point('b')] });
    expect(twice).toMatchObject({ ok: false, code: ErrorCode.FEATURE_EXISTS });
    const result = applyOp(state, { kind: 'features.import', features: [point('a'), point('b', 1)] });
    expect(result.ok).toBe(true);
    expect(state.features.get('b')).toMatchObject({ version: 1, properties: { population: 1 } });
    expect(state.features.get('b')?.geometry).toEqual({ type: 'Point', coordinates: [1, 0, 35] });
  });

  it('deletes the listed features that exist; refuses when none does', () => {
    const state = createMapState('m', [point('a'), point('b'), point('c')]);
    const result = applyOp(state, { kind: 'features.delete', ids: ['a', 'gone', 'b'] });
    expect(result).toEqual({ ok: true, removedMany: ['a', 'b'] });
    expect([...state.features.keys()]).toEqual(['c']);
    expect(applyOp(state, { kind: 'features.delete', ids: ['a'] })).toMatchObject({
      ok: false,
      code: ErrorCode.FEATURE_NOT_FOUND,
    });
  });

  it('undoes an import by deleting its ids: the state is as before', () => {
    const state = createMapState('m', [point('keep')]);
    const before = stateHash(state);
    const features = Array.from({ length: 50 }, (_, i) => point(`f${i}`, i));
    applyOp(state, { kind: 'features.import', features });
    expect(stateHash(state)).not.toBe(before);
    applyOp(state, { kind: 'features.delete', ids: features.map((f) => f.id) });
    expect(stateHash(state)).toBe(before);
  });

  it('patches properties per key (null clears) and refuses a merge past the bounds', () => {
    const state = createMapState('m', [point('a')]);
    const ok = applyOp(state, {
      kind: 'feature.update',
      id: 'a',
      properties: { title: null, extra: { x: 1 } },
    });
    expect(ok.ok).toBe(true);
    expect(state.features.get('a')?.properties).toEqual({
      population: 0,
      tags: ['a', { nested: true }],
      extra: { x: 1 },
    });
    const half = 'x'.repeat(LIMITS.MAX_PROPERTIES_BYTES / 2);
    expect(applyOp(state, { kind: 'feature.update', id: 'a', properties: { one: half } }).ok).toBe(true);
    const over = applyOp(state, { kind: 'feature.update', id: 'a', properties: { two: half } });
    expect(over).toMatchObject({ ok: false, code: ErrorCode.INVALID_OP });
    expect(state.features.get('a')?.properties).not.toHaveProperty('two');
  });
});

describe('import chunks', () => {
  it('packs features in order into ops that each fit a frame and the per-op bound', () => {
    const features = Array.from({ length: 5000 }, (_, i) => point(`f${i}`, i));
    const chunks = importChunks(features);
    expect(chunks.flatMap((c) => c.features.map((f) => f.id))).toEqual(features.map((f) => f.id));
    for (const chunk of chunks) {
      expect(chunk.features.length).toBeLessThanOrEqual(LIMITS.MAX_IMPORT_FEATURES_PER_OP);
      const frame = JSON.stringify({ type: 'op', mapId: 'm'.repeat(64), opId: 'o'.repeat(64), op: chunk });
      expect(new TextEncoder().encode(frame).length).toBeLessThanOrEqual(LIMITS.MAX_FRAME_BYTES);
      expect(parseClientMessage(frame).ok).toBe(true);
    }
    expect(chunks.length).toBeGreaterThan(1);
  });

  it('names a feature too big for a frame, and an invalid feature, by index', () => {
    const line = (n: number): Feature => ({
      type: 'Feature',
      id: 'big',
      geometry: {
        type: 'LineString',
        coordinates: Array.from({ length: n }, (_, i) => [i / 1000, 1.123456789]),
      },
      properties: {},
      version: 0,
    });
    expect(() => importChunks([point('a'), line(10_000)])).toThrow(/feature 1 \(big\)/);
    expect(() =>
      validateImport([point('a'), { ...point('b'), properties: { __proto__: null, constructor: 1 } }]),
    ).toThrow(/feature 1/);
    expect(() =>
      validateImport([{ ...point('c'), geometry: { type: 'Point', coordinates: [Number.NaN, 0] } }]),
    ).toThrow(/feature 0/);
  });

  it('fills bulk frames up to the bound, and still names a feature over MAX_FEATURE_BYTES', () => {
    const features = Array.from({ length: 5000 }, (_, i) => point(`f${i}`, i));
    const chunks = importChunks(features, LIMITS.MAX_BULK_FRAME_BYTES);
    // ~150 bytes a feature: the per-op count, not the frame, bounds these chunks.
    expect(chunks.map((c) => c.features.length)).toEqual([1000, 1000, 1000, 1000, 1000]);
    const frame = JSON.stringify({ type: 'op', mapId: 'm'.repeat(64), opId: 'o'.repeat(64), op: chunks[0] });
    expect(frame.length).toBeGreaterThan(LIMITS.MAX_FRAME_BYTES);
    expect(parseClientMessage(frame, LIMITS.MAX_BULK_FRAME_BYTES).ok).toBe(true);
    const big: Feature = {
      type: 'Feature',
      id: 'track',
      geometry: {
        type: 'LineString',
        coordinates: Array.from({ length: 5000 }, (_, i) => [i / 1000, 1.123456789]),
      },
      properties: {},
      version: 0,
    };
    expect(JSON.stringify(big).length).toBeGreaterThan(LIMITS.MAX_FEATURE_BYTES);
    expect(() => importChunks([point('a'), big], LIMITS.MAX_BULK_FRAME_BYTES)).toThrow(
      /feature 1 \(track\) is \d+ bytes: features are at most 65536/,
    );
    expect(oversizedFeature([point('a'), big])).toMatch(/^features\.1 \(track\)/);
    expect(oversizedFeature([point('a')])).toBeNull();
  });

  it('refuses a 10 MB property value without walking it past the bound', () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    expect(() => validateImport([{ ...point('a'), properties: { big: huge } }])).toThrow(/bytes/);
  });
});

describe('import records from the server', () => {
  const record = (seq: number, features: unknown[]) => ({
    seq,
    opId: `o${seq}`,
    clientId: 'c1',
    op: { kind: 'features.import', features, batch: { id: 'imp1', total: 3 }, by: { name: 'Ada' } },
    at: 1,
  });

  it('keeps every feature of a valid record, in an op and in a replay', () => {
    const features = [point('a'), point('b', 1)];
    const op = parseServerMessage(JSON.stringify({ type: 'op', mapId: 'm', record: record(1, features) }));
    expect(op.ok && op.value.type === 'op' && op.value.record.op).toEqual({
      kind: 'features.import',
      features,
      batch: { id: 'imp1', total: 3 },
      by: { name: 'Ada' },
    });
    const replay = parseServerMessage(
      JSON.stringify({
        type: 'replay',
        mapId: 'm',
        fromSeq: 1,
        toSeq: 3,
        ops: [
          record(1, features),
          { seq: 2, opId: 'o2', clientId: 'c1', op: { kind: 'feature.delete', id: 'a' }, at: 2 },
          record(3, [point('c', 2)]),
        ],
      }),
    );
    if (!replay.ok || replay.value.type !== 'replay') throw new Error('expected a replay');
    expect(
      replay.value.ops.map((r) => (r.op.kind === 'features.import' ? r.op.features : r.op.kind)),
    ).toEqual([features, 'feature.delete', [point('c', 2)]]);
  });

  it('treats a bus record the same way: kept whole when valid, refused when not a feature list', () => {
    const bus = (features: unknown[]) =>
      JSON.stringify({ type: 'op', mapId: 'm', nodeId: 'n1', record: record(1, features) });
    const ok = parseBusMessage(bus([point('a')]));
    expect(ok.ok && ok.value.type === 'op' && ok.value.record.op).toMatchObject({ features: [point('a')] });
    expect(parseBusMessage(bus([{ type: 'Feature' }]))).toMatchObject({
      ok: false,
      error: { path: 'record.op.features.0' },
    });
  });

  it('refuses a record whose features are not features, with a typed error and a path', () => {
    const broken = parseServerMessage(
      JSON.stringify({
        type: 'op',
        mapId: 'm',
        record: record(1, [point('a'), { type: 'Feature', id: 'b' }]),
      }),
    );
    expect(broken).toMatchObject({
      ok: false,
      error: { code: ErrorCode.INVALID_MESSAGE, type: 'op', path: 'record.op.features.1' },
    });
    const inReplay = parseServerMessage(
      JSON.stringify({ type: 'replay', mapId: 'm', fromSeq: 1, toSeq: 1, ops: [record(1, [42])] }),
    );
    expect(inReplay).toMatchObject({ ok: false, error: { path: 'ops.0.op.features.0' } });
    // Around the features the record is validated as ever.
    const badSeq = parseServerMessage(
      JSON.stringify({ type: 'op', mapId: 'm', record: { ...record(1, [point('a')]), seq: -1 } }),
    );
    expect(badSeq).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_MESSAGE } });
    const tooMany = parseServerMessage(
      JSON.stringify({
        type: 'op',
        mapId: 'm',
        record: record(
          1,
          Array.from({ length: LIMITS.MAX_IMPORT_FEATURES_PER_OP + 1 }, (_, i) => point(`x${i}`)),
        ),
      }),
    );
    expect(tooMany).toMatchObject({ ok: false, error: { path: 'record.op.features' } });
  });
});
