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
});
