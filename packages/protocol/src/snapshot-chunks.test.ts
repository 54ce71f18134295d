import { describe, expect, it } from 'vitest';
import type { Feature } from './geo.ts';
import { encodeMessage, parseServerMessage } from './parse.ts';
import { SnapshotChunkEncoder, SnapshotChunkFrames } from './snapshot-chunks.ts';

const line = (id: string, vertices: number): Feature => ({
  type: 'Feature',
  id,
  geometry: {
    type: 'LineString',
    coordinates: Array.from({ length: vertices }, (_, k): [number, number] => [
      (k % 1000) / 7,
      (k % 1000) / 13 - 40,
    ]),
  },
  properties: { title: `Line ${id}`, 'stroke-width': 2, tags: ['a', 'é'] },
  version: 3,
});

/** Every frame, parsed and checked against the schema. */
function frames(encoder: SnapshotChunkEncoder): { text: string; features: Feature[]; index: number }[] {
  const out = [];
  for (let i = 0; ; i++) {
    const text = encoder.chunk(i);
    if (text === null) break;
    const parsed = parseServerMessage(text);
    if (!parsed.ok || parsed.value.type !== 'snapshotChunk')
      throw new Error(`chunk ${i} is not a snapshotChunk`);
    out.push({ text, features: parsed.value.features, index: parsed.value.index });
  }
  return out;
}

describe('SnapshotChunkEncoder', () => {
  it('packs every feature exactly once, in order, into valid snapshotChunk frames under the target size', () => {
    const features = Array.from({ length: 300 }, (_, i) => line(`f${i}`, 20 + (i % 50)));
    const encoder = new SnapshotChunkEncoder('m1', 42, features, 16 * 1024);
    const chunks = frames(encoder);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    expect(chunks.flatMap((c) => c.features)).toEqual(features);
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(16 * 1024 + 100);
    expect(encoder.complete).toBe(true);
    expect(encoder.featureCount).toBe(300);
  });

  it('builds exactly the text encodeMessage gives for the same message', () => {
    const features = [line('a', 3), line('b', 4)];
    const text = new SnapshotChunkEncoder('m"1', 7, features).chunk(0);
    expect(text).toBe(encodeMessage({ type: 'snapshotChunk', mapId: 'm"1', seq: 7, index: 0, features }));
  });

  it('encodes only as far as asked, and hands every caller the same strings', () => {
    const features = Array.from({ length: 100 }, (_, i) => line(`f${i}`, 100));
    const encoder = new SnapshotChunkEncoder('m1', 1, features, 8 * 1024);
    const first = encoder.chunk(0);
    expect(encoder.encodedCount).toBe(1);
    expect(encoder.complete).toBe(false);
    expect(encoder.chunk(0)).toBe(first);
    expect(encoder.chunk(10_000)).toBeNull();
    expect(encoder.complete).toBe(true);
  });

  it('never splits a feature: one bigger than the target gets a chunk of its own', () => {
    const features = [line('small', 2), line('big', 5000), line('after', 2)];
    const chunks = frames(new SnapshotChunkEncoder('m1', 1, features, 4 * 1024));
    expect(chunks.map((c) => c.features.map((f) => f.id))).toEqual([['small'], ['big'], ['after']]);
  });

  it('says when a snapshot fits in one chunk (sent as a plain snapshot then)', () => {
    expect(new SnapshotChunkEncoder('m1', 1, []).fitsOneChunk()).toBe(true);
    expect(new SnapshotChunkEncoder('m1', 1, [line('a', 10)]).fitsOneChunk()).toBe(true);
    const many = Array.from({ length: 50 }, (_, i) => line(`f${i}`, 100));
    expect(new SnapshotChunkEncoder('m1', 1, many, 8 * 1024).fitsOneChunk()).toBe(false);
  });

  it('refuses a chunk holding something that is not a feature (features are checked for shape, not in depth)', () => {
    const chunk = (features: unknown[]) =>
      JSON.stringify({ type: 'snapshotChunk', mapId: 'm1', seq: 1, index: 0, features });
    const good = line('a', 3);
    expect(parseServerMessage(chunk([good])).ok).toBe(true);
    for (const bad of [
      null,
      [],
      { ...good, type: 'Point' },
      { ...good, id: 7 },
      { ...good, geometry: null },
      { ...good, properties: [] },
      { ...good, version: '1' },
    ]) {
      const parsed = parseServerMessage(chunk([good, bad]));
      expect(parsed.ok ? 'accepted' : parsed.error.code).toBe('INVALID_MESSAGE');
    }
    const missing = JSON.parse(chunk([good])) as Record<string, unknown>;
    delete missing.index;
    expect(parseServerMessage(JSON.stringify(missing)).ok).toBe(false);
  });
});

describe('SnapshotChunkFrames', () => {
  it('packs feature texts appended page by page into the frames the encoder makes of the same features', () => {
    const features = Array.from({ length: 300 }, (_, i) => line(`f${i}`, 20 + (i % 50)));
    const texts = features.map((f) => JSON.stringify(f));
    const framesOf = new SnapshotChunkFrames('m1', 42, 16 * 1024);
    for (let i = 0; i < texts.length; i += 37) framesOf.append(texts.slice(i, i + 37));
    framesOf.end();
    const encoder = new SnapshotChunkEncoder('m1', 42, features, 16 * 1024);
    const expected = frames(encoder).map((c) => c.text);
    expect(Array.from({ length: framesOf.count }, (_, i) => framesOf.chunk(i))).toEqual(expected);
    expect(framesOf.featureCount).toBe(300);
    expect(framesOf.chars).toBe(encoder.encodedChars);
  });

  it('seals a frame only once it is full or the features ended: what is sealed never changes', () => {
    const text = JSON.stringify(line('a', 100));
    const framesOf = new SnapshotChunkFrames('m1', 1, text.length * 2 + 2);
    framesOf.append([text]);
    expect(framesOf.chunk(0)).toBeNull();
    framesOf.append([text, text]);
    const first = framesOf.chunk(0);
    expect(first).not.toBeNull();
    expect(framesOf.count).toBe(1);
    expect(framesOf.ended).toBe(false);
    framesOf.end();
    expect(framesOf.count).toBe(2);
    expect(framesOf.chunk(0)).toBe(first);
    expect(framesOf.chunk(2)).toBeNull();
    expect(() => framesOf.append([text])).toThrow();
  });
});
