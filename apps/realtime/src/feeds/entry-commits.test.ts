import { type Feature, LIMITS, Op } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import {
  applyRecordToKnown,
  contentHash,
  type KnownEntries,
  knownFromFeatures,
  MAX_ENTRIES_OP_BYTES,
  planEntryCommits,
} from './entry-commits.ts';

function entry(id: string, title: string, description?: string): Feature {
  return {
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [4.8, 45.7] },
    properties: { layer: 'l', title, ...(description ? { description } : {}) },
    version: 0,
  };
}

/** What a node learns when the planned ops are committed. */
function commit(known: KnownEntries, plans: ReturnType<typeof planEntryCommits>) {
  for (const plan of plans) for (const [id, hash] of plan.hashes) known.set(id, hash);
}

describe('planEntryCommits', () => {
  it('commits only what changed, with the same op id for the same change', () => {
    const known: KnownEntries = new Map();
    const first = planEntryCommits('l', [entry('a', 'A'), entry('b', 'B')], known);
    expect(first).toHaveLength(1);
    expect(first[0]?.op.features.map((f) => f.id)).toEqual(['a', 'b']);
    expect(Op.safeParse(first[0]?.op).success).toBe(true);
    expect(first[0]?.opId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    // A retry before the commit landed is the same op (the op log answers duplicate).
    expect(planEntryCommits('l', [entry('a', 'A'), entry('b', 'B')], known)[0]?.opId).toBe(first[0]?.opId);
    commit(known, first);
    expect(planEntryCommits('l', [entry('a', 'A'), entry('b', 'B')], known)).toEqual([]);
    const edit = planEntryCommits('l', [entry('a', 'A'), entry('b', 'B2')], known);
    expect(edit[0]?.op.features.map((f) => f.properties.title)).toEqual(['B2']);
  });

  it('makes a new op when an entry changes back to an earlier content', () => {
    const known: KnownEntries = new Map();
    const toA = planEntryCommits('l', [entry('x', 'A')], known);
    commit(known, toA);
    const toB = planEntryCommits('l', [entry('x', 'B')], known);
    commit(known, toB);
    const backToA = planEntryCommits('l', [entry('x', 'A')], known);
    expect(backToA).toHaveLength(1);
    expect(new Set([toA[0]?.opId, toB[0]?.opId, backToA[0]?.opId]).size).toBe(3);
  });

  it(`chunks by ${LIMITS.MAX_LAYER_ENTRIES_PER_OP} entries and by ${MAX_ENTRIES_OP_BYTES} bytes`, () => {
    const many = Array.from({ length: 250 }, (_, i) => entry(`e${i}`, `E${i}`));
    expect(planEntryCommits('l', many, new Map()).map((p) => p.op.features.length)).toEqual([100, 100, 50]);
    const big = Array.from({ length: 20 }, (_, i) =>
      entry(`b${i}`, 'big', 'x'.repeat(LIMITS.MAX_DESCRIPTION_CHARS)),
    );
    const plans = planEntryCommits('l', big, new Map());
    expect(plans.length).toBeGreaterThan(1);
    for (const plan of plans) {
      expect(Op.safeParse(plan.op).success).toBe(true);
      expect(Buffer.byteLength(JSON.stringify(plan.op))).toBeLessThan(MAX_ENTRIES_OP_BYTES + 6000);
    }
    expect(plans.flatMap((p) => p.op.features).length).toBe(20);
  });
});

describe('known entries', () => {
  it('follow the records: entries set, people’s edits and deletes forget, layer.remove drops the layer', () => {
    const layers = knownFromFeatures([
      entry('a', 'A'),
      { ...entry('p', 'mine'), properties: { title: 'mine' } },
    ]);
    expect([...layers.keys()]).toEqual(['l']);
    expect(layers.get('l')?.get('a')).toBe(contentHash(entry('a', 'A')));
    const record = (op: Op) => ({ seq: 1, opId: 'o', clientId: 'c', op, at: 0 });
    // The server stores entries tagged with their layer: the hash must match what the feed gives.
    const untagged = { ...entry('b', 'B'), properties: { title: 'B' } };
    applyRecordToKnown(layers, record({ kind: 'layer.entries', layerId: 'l', features: [untagged] }));
    expect(layers.get('l')?.get('b')).toBe(contentHash(entry('b', 'B')));
    applyRecordToKnown(layers, record({ kind: 'feature.delete', id: 'a' }));
    expect(layers.get('l')?.has('a')).toBe(false);
    applyRecordToKnown(layers, record({ kind: 'layer.remove', id: 'l' }));
    expect(layers.has('l')).toBe(false);
  });
});
