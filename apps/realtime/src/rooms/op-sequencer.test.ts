import type { OpRecord } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/wait.ts';
import { OpSequencer } from './op-sequencer.ts';

const record = (seq: number): OpRecord => ({
  seq,
  opId: `o${seq}`,
  clientId: 'c',
  op: { kind: 'map.rename', name: `n${seq}` },
  at: seq,
});

/** An op log in memory: the sequencer reads "committed" records from it when it sees a gap. */
function setup(committed: number, options: { failReads?: number } = {}) {
  const log = Array.from({ length: committed }, (_, i) => record(i + 1));
  const delivered: number[] = [];
  const reads: [number, number][] = [];
  let failures = options.failReads ?? 0;
  const sequencer = new OpSequencer({
    gapHoldMs: 10,
    async fetch(from, to) {
      reads.push([from, to]);
      if (failures-- > 0) throw new Error('db down');
      return log.filter((r) => r.seq >= from && r.seq <= to);
    },
    deliver: (r) => delivered.push(r.seq),
    onFetchError: () => {},
    onFill: () => {},
  });
  return { sequencer, delivered, reads, log };
}

describe('OpSequencer', () => {
  it('delivers in seq order, drops duplicates and what the base already covers', () => {
    const { sequencer, delivered } = setup(0);
    sequencer.offer(record(3));
    sequencer.start(2);
    sequencer.offer(record(4));
    sequencer.offer(record(4));
    sequencer.offer(record(1));
    expect(delivered).toEqual([3, 4]);
    sequencer.stop();
  });

  it('holds records after a gap, then reads the missing range from the op log', async () => {
    const { sequencer, delivered, reads } = setup(6);
    sequencer.start(0);
    sequencer.offer(record(1));
    sequencer.offer(record(4));
    sequencer.offer(record(6));
    expect(delivered).toEqual([1]);
    await waitFor('the gap to be filled', () => delivered.length === 6);
    expect(delivered).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reads[0]).toEqual([2, 3]);
    sequencer.stop();
  });

  it('does not read when the missing record arrives within the hold', async () => {
    const { sequencer, delivered, reads } = setup(3);
    sequencer.start(0);
    sequencer.offer(record(2));
    sequencer.offer(record(1));
    sequencer.offer(record(3));
    expect(delivered).toEqual([1, 2, 3]);
    await new Promise((r) => setTimeout(r, 50));
    expect(reads).toEqual([]);
    sequencer.stop();
  });

  it('catches up to the head after a bus outage, and retries while the op log is unreachable', async () => {
    const { sequencer, delivered } = setup(1200, { failReads: 2 });
    sequencer.start(0);
    sequencer.catchUp();
    await waitFor('the catch-up', () => delivered.length === 1200, { timeoutMs: 10_000 });
    expect(delivered.every((seq, i) => seq === i + 1)).toBe(true);
    sequencer.stop();
  });

  it('reads what a peer heartbeat says it missed', async () => {
    const { sequencer, delivered } = setup(5);
    sequencer.start(2);
    sequencer.noteHead(5);
    await waitFor('the records behind the peer head', () => delivered.length === 3);
    expect(delivered).toEqual([3, 4, 5]);
    sequencer.stop();
  });
});
