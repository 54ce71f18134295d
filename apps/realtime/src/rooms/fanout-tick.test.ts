import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FanoutTick } from './fanout-tick.ts';

const INTERVAL_MS = 50;

/** A tick on vitest's fake timers (its clock reads the faked Date), and the frames each tick sent. */
function fanoutTick(intervalMs = INTERVAL_MS) {
  const ticks: number[][] = [];
  const errors: unknown[] = [];
  let sentAtMs = Number.NaN;
  const tick = new FanoutTick({
    intervalMs,
    clock: { now: () => Date.now() },
    onError: (error) => errors.push(error),
  });
  /** Give the tick frame `n` to send: frames sent in the same tick are grouped. */
  const add = (n: number, send?: () => void) =>
    tick.add(() => {
      if (Date.now() !== sentAtMs || ticks.length === 0) {
        ticks.push([]);
        sentAtMs = Date.now();
      }
      ticks.at(-1)?.push(n);
      send?.();
    });
  return { tick, add, ticks, errors };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('FanoutTick', () => {
  it('sends a frame at once when no tick went within the interval', () => {
    const { add, ticks } = fanoutTick();
    add(1);
    expect(ticks).toEqual([[1]]);
    vi.advanceTimersByTime(INTERVAL_MS);
    add(2);
    expect(ticks).toEqual([[1], [2]]);
  });

  it('sends the frames of one interval together at its end, in the order given', () => {
    const { tick, add, ticks } = fanoutTick();
    for (let n = 1; n <= 5; n++) add(n);
    expect(ticks).toEqual([[1]]);
    expect(tick.held).toBe(4);
    vi.advanceTimersByTime(INTERVAL_MS - 1);
    expect(ticks).toEqual([[1]]);
    vi.advanceTimersByTime(1);
    expect(ticks).toEqual([[1], [2, 3, 4, 5]]);
    add(6);
    vi.advanceTimersByTime(INTERVAL_MS);
    expect(ticks).toEqual([[1], [2, 3, 4, 5], [6]]);
    expect(tick.held).toBe(0);
  });

  it('with an interval of 0 sends every frame at once', () => {
    const { add, ticks } = fanoutTick(0);
    for (let n = 1; n <= 3; n++) {
      add(n);
      vi.advanceTimersByTime(1);
    }
    expect(ticks).toEqual([[1], [2], [3]]);
  });

  it('reports a send that throws and still sends the others of its tick', () => {
    const { add, ticks, errors } = fanoutTick();
    add(1);
    add(2, () => {
      throw new Error('publish failed');
    });
    add(3);
    vi.advanceTimersByTime(INTERVAL_MS);
    expect(errors).toHaveLength(1);
    expect(ticks).toEqual([[1], [2, 3]]);
  });

  it('sends nothing once closed', () => {
    const { tick, add, ticks } = fanoutTick();
    add(1);
    add(2);
    tick.close();
    vi.advanceTimersByTime(INTERVAL_MS * 2);
    add(3);
    expect(ticks).toEqual([[1]]);
  });
});
