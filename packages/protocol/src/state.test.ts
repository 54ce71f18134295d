import { describe, expect, it } from 'vitest';
import { ErrorCode } from './codes.ts';
import { applyOp, createMapState, mergeProperties, stateHash } from './state.ts';

const geometry = { type: 'Point' as const, coordinates: [1, 2] as [number, number] };

describe('applyOp', () => {
  it('creates, updates per field, moves and deletes, counting versions', () => {
    const state = createMapState('m');
    applyOp(state, {
      kind: 'feature.create',
      feature: { type: 'Feature', id: 'a', geometry, properties: { title: 't' }, version: 9 },
    });
    expect(state.features.get('a')?.version).toBe(1);
    applyOp(state, { kind: 'feature.update', id: 'a', properties: { color: '#000000', title: null } });
    expect(state.features.get('a')?.properties).toEqual({ color: '#000000' });
    applyOp(state, { kind: 'feature.move', id: 'a', geometry: { type: 'Point', coordinates: [3, 4] } });
    expect(state.features.get('a')?.version).toBe(3);
    expect(applyOp(state, { kind: 'feature.delete', id: 'a' }).ok).toBe(true);
  });

  it('returns typed rejects for impossible ops and leaves the state unchanged', () => {
    const state = createMapState('m');
    const before = stateHash(state);
    const results = [
      applyOp(state, { kind: 'feature.delete', id: 'nope' }),
      applyOp(state, { kind: 'feature.move', id: 'nope', geometry }),
      applyOp(state, { kind: 'feature.update', id: 'nope', properties: {} }),
    ];
    for (const result of results) expect(!result.ok && result.code).toBe(ErrorCode.FEATURE_NOT_FOUND);
    applyOp(state, {
      kind: 'feature.create',
      feature: { type: 'Feature', id: 'a', geometry, properties: {}, version: 0 },
    });
    const again = applyOp(state, {
      kind: 'feature.create',
      feature: { type: 'Feature', id: 'a', geometry, properties: {}, version: 0 },
    });
    expect(!again.ok && again.code).toBe(ErrorCode.FEATURE_EXISTS);
    expect(stateHash(createMapState('m'))).toBe(before);
  });

  it('mergeProperties ignores undefined and clears null', () => {
    expect(mergeProperties({ title: 'a', color: '#111111' }, { title: undefined, color: null })).toEqual({
      title: 'a',
    });
  });

  it('hashes equal states equally regardless of insertion order', () => {
    const f = (id: string) => ({
      type: 'Feature' as const,
      id,
      geometry,
      properties: { title: id },
      version: 1,
    });
    expect(stateHash(createMapState('m', [f('a'), f('b')]))).toBe(
      stateHash(createMapState('m', [f('b'), f('a')])),
    );
    expect(stateHash(createMapState('m', [f('a')]))).not.toBe(stateHash(createMapState('m', [f('b')])));
  });
});
