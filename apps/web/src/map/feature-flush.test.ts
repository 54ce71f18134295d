import { describe, expect, it } from 'vitest';
import { FEATURE_FLUSH_PACING, FeatureFlushPacer } from './feature-flush.ts';

function pacer() {
  let now = 10_000;
  const p = new FeatureFlushPacer(() => now);
  return { p, advance: (ms: number) => (now += ms) };
}

describe('FeatureFlushPacer', () => {
  it('sends small edits on the next frame, however many come one by one', () => {
    const { p, advance } = pacer();
    for (let i = 0; i < 100; i++) {
      expect(p.changed(1)).toBe(0);
      advance(16);
    }
    expect(p.inBurst).toBe(false);
  });

  it('shows a first fill at once, whatever its size', () => {
    const { p } = pacer();
    expect(p.changed(Number.POSITIVE_INFINITY)).toBe(0);
  });

  it('draws the first chunks of a stream at once, then paces the rest of the burst', () => {
    const { p, advance } = pacer();
    // ~120 features a chunk, a chunk every 10 ms: the first ones go out frame by frame.
    let delays: number[] = [];
    for (let chunk = 0; chunk < 20; chunk++) {
      delays.push(p.changed(120));
      if (delays.at(-1) === 0) p.flushing();
      advance(10);
    }
    expect(delays.slice(0, 16)).toEqual(Array(16).fill(0));
    expect(p.inBurst).toBe(true);
    expect(delays.at(-1)).toBeGreaterThan(0);
    // Past the burst threshold, no further chunk goes out on the next frame.
    delays = [];
    for (let chunk = 0; chunk < 50; chunk++) {
      delays.push(p.changed(120));
      advance(10);
    }
    expect(delays.every((d) => d > 0)).toBe(true);
  });

  it('flushes a burst at the latest after the progress interval, even while the stream goes on', () => {
    // Time here is the injected clock only: a chunk arrives every CHUNK_EVERY_MS of it.
    const CHUNK_EVERY_MS = 10;
    const { p, advance } = pacer();
    p.changed(5_000);
    p.flushing();
    p.flushed(10);
    advance(FEATURE_FLUSH_PACING.minIntervalMs);
    let chunksHeld = 0;
    while (p.changed(120) > CHUNK_EVERY_MS) {
      advance(CHUNK_EVERY_MS);
      chunksHeld++;
    }
    // Held for the progress interval's worth of chunks, then flushed: not sooner, not later.
    const intervalInChunks = FEATURE_FLUSH_PACING.progressMs / CHUNK_EVERY_MS;
    expect(chunksHeld).toBeGreaterThan(intervalInChunks - 5);
    expect(chunksHeld).toBeLessThanOrEqual(intervalInChunks);
  });

  it('waits several times the last update’s worker time before the next one in a burst', () => {
    const { p, advance } = pacer();
    p.changed(5_000);
    p.flushing();
    p.flushed(2_000);
    advance(100);
    expect(p.changed(120)).toBe(FEATURE_FLUSH_PACING.workFactor * 2_000 - 100);
  });

  it('goes back to next-frame edits once the burst is over', () => {
    const { p, advance } = pacer();
    p.changed(5_000);
    p.flushing();
    advance(FEATURE_FLUSH_PACING.burstWindowMs + 1);
    expect(p.inBurst).toBe(false);
    expect(p.changed(1)).toBe(0);
  });

  it('draws a streaming snapshot in doubling steps: about log2(N) updates, O(N) work in all', () => {
    const { p, advance } = pacer();
    const CHUNK = 120;
    const N = 100_000;
    let rendered = 0;
    let pending = 0;
    const steps: number[] = [];
    const flush = () => {
      p.flushing();
      rendered += pending;
      pending = 0;
      steps.push(rendered);
    };
    // A chunk every 10 ms of the injected clock; a flush due within that goes out before the next.
    let dueAt: number | null = null;
    let now = 0;
    for (let chunk = 0; chunk < Math.ceil(N / CHUNK); chunk++) {
      if (dueAt !== null && dueAt <= now) {
        flush();
        dueAt = null;
      }
      pending += CHUNK;
      const delay = p.changed(CHUNK, { fill: { rendered, pending } });
      dueAt = now + delay;
      advance(10);
      now += 10;
    }
    // The stream ended (the caller flushes what is left on the next frame).
    flush();
    expect(steps[0]).toBe(CHUNK);
    expect(steps.at(-1)).toBeGreaterThanOrEqual(N);
    // Each update but the last at least doubled what the map held before it.
    for (let i = 1; i < steps.length - 1; i++)
      expect(steps[i]).toBeGreaterThanOrEqual(2 * (steps[i - 1] as number));
    expect(steps.length).toBeLessThanOrEqual(Math.ceil(Math.log2(N / CHUNK)) + 2);
    // The sources were rebuilt with under ~3N features in all (each rebuild redoes the whole source).
    expect(steps.reduce((sum, size) => sum + size, 0)).toBeLessThan(3 * N);
  });

  it('holds a streaming snapshot’s chunks only until they double the map, or the stream stalls', () => {
    const { p } = pacer();
    // The first chunk of a join draws at once.
    expect(p.changed(120, { fill: { rendered: 0, pending: 120 } })).toBe(0);
    // Later ones wait; the wait given is only the stall fallback (the next chunk or the end comes first).
    expect(p.changed(120, { fill: { rendered: 5_000, pending: 4_999 } })).toBe(
      FEATURE_FLUSH_PACING.fillStallMs,
    );
    expect(p.changed(120, { fill: { rendered: 5_000, pending: 5_000 } })).toBeLessThan(
      FEATURE_FLUSH_PACING.fillStallMs,
    );
    // Without a stream (a resync, a reconnect, an import) nothing is held for doubling.
    const { p: other } = pacer();
    expect(other.changed(120)).toBe(0);
  });

  it('draws this person’s own edit on the next frame, even while a snapshot streams or a burst is paced', () => {
    const { p, advance } = pacer();
    p.changed(5_000);
    p.flushing();
    p.flushed(2_000);
    advance(100);
    expect(p.inBurst).toBe(true);
    expect(p.changed(120)).toBeGreaterThan(0);
    expect(p.changed(1, { local: true })).toBe(0);
    expect(p.changed(1, { local: true, fill: { rendered: 5_000, pending: 121 } })).toBe(0);
    // Their own import is a burst like any other.
    expect(p.changed(1_000, { local: true })).toBeGreaterThan(0);
  });
});
