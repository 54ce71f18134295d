import type { PresenceEntry } from '@meridian/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PresenceBatcher } from './presence-batch.ts';

const INTERVAL_MS = 25;

function entry(clientId: string, x: number): PresenceEntry {
  return {
    clientId,
    personId: clientId,
    name: clientId,
    color: '#336699',
    role: 'edit',
    cursor: [x, 0],
    viewport: null,
    following: null,
  };
}

/** A batcher on vitest's fake timers (its clock reads the faked Date), and the batches it sent. */
function batcher() {
  const sent: PresenceEntry[][] = [];
  const errors: unknown[] = [];
  const batch = new PresenceBatcher({
    intervalMs: INTERVAL_MS,
    clock: { now: () => Date.now() },
    flush: (entries) => sent.push(entries),
    onError: (error) => errors.push(error),
  });
  const frames = () => sent.map((entries) => entries.map((e) => `${e.clientId}@${e.cursor?.[0]}`));
  return { batch, sent, errors, frames };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('PresenceBatcher', () => {
  it('sends a change at once when no batch went out within the interval', () => {
    const { batch, frames } = batcher();
    batch.add(entry('a', 1));
    expect(frames()).toEqual([['a@1']]);
    vi.advanceTimersByTime(INTERVAL_MS);
    batch.add(entry('b', 1));
    expect(frames()).toEqual([['a@1'], ['b@1']]);
  });

  it('sends one frame per interval with every sender’s latest entry, in first-change order', () => {
    const { batch, frames } = batcher();
    batch.add(entry('a', 1));
    for (let x = 2; x <= 6; x++) {
      batch.add(entry('b', x));
      batch.add(entry('a', x));
      batch.add(entry('c', x));
    }
    expect(frames()).toEqual([['a@1']]);
    expect(batch.pending).toBe(3);
    vi.advanceTimersByTime(INTERVAL_MS - 1);
    expect(frames()).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(frames()).toEqual([['a@1'], ['b@6', 'a@6', 'c@6']]);
    // Busy still: the next change waits for the end of the next interval, not longer.
    vi.advanceTimersByTime(5);
    batch.add(entry('a', 7));
    expect(frames()).toHaveLength(2);
    vi.advanceTimersByTime(INTERVAL_MS - 5);
    expect(frames()[2]).toEqual(['a@7']);
  });

  it('makes at most one frame per interval under a steady storm', () => {
    const { batch, sent } = batcher();
    // 100 senders at 1 change per ms each, for 10 intervals.
    for (let ms = 0; ms < 10 * INTERVAL_MS; ms++) {
      for (let s = 0; s < 100; s++) batch.add(entry(`s${s}`, ms));
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(INTERVAL_MS);
    expect(sent.length).toBeLessThanOrEqual(11);
    expect(sent.slice(1).every((entries) => entries.length === 100)).toBe(true);
  });

  it('drops what is held for a sender who left, so no entry follows its departure', () => {
    const { batch, frames } = batcher();
    batch.add(entry('a', 1));
    batch.add(entry('b', 2));
    batch.add(entry('a', 3));
    batch.drop('b');
    vi.advanceTimersByTime(INTERVAL_MS);
    expect(frames()).toEqual([['a@1'], ['a@3']]);
    // Everything held was for the one who left: no frame at all.
    batch.add(entry('c', 1));
    batch.drop('c');
    vi.advanceTimersByTime(INTERVAL_MS * 2);
    expect(frames()).toHaveLength(2);
  });

  it('sends nothing after close, and reports a flush that throws without stopping', () => {
    const errors: unknown[] = [];
    let calls = 0;
    const batch = new PresenceBatcher({
      intervalMs: INTERVAL_MS,
      clock: { now: () => Date.now() },
      flush: () => {
        calls++;
        if (calls === 2) throw new Error('socket gone');
      },
      onError: (error) => errors.push(error),
    });
    batch.add(entry('a', 1));
    batch.add(entry('a', 2));
    vi.advanceTimersByTime(INTERVAL_MS);
    expect(errors).toHaveLength(1);
    vi.advanceTimersByTime(INTERVAL_MS);
    batch.add(entry('a', 3));
    expect(calls).toBe(3);
    batch.add(entry('a', 4));
    batch.close();
    vi.advanceTimersByTime(INTERVAL_MS * 2);
    batch.add(entry('a', 5));
    expect(calls).toBe(3);
  });

  it('with a zero interval sends every change as its own frame', () => {
    const sent: string[] = [];
    const batch = new PresenceBatcher({
      intervalMs: 0,
      clock: { now: () => Date.now() },
      flush: (entries) => sent.push(entries.map((e) => e.clientId).join()),
      onError: () => {},
    });
    batch.add(entry('a', 1));
    batch.add(entry('b', 1));
    expect(sent).toEqual(['a', 'b']);
  });
});
