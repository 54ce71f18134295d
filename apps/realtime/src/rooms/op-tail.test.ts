import type { OpRecord } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { OpTail } from './op-tail.ts';

const record = (seq: number, title = 't'): OpRecord => ({
  seq,
  opId: `o-${seq}`,
  clientId: 'c',
  op: { kind: 'map.rename', name: title },
  at: 0,
});
const seqs = (records: OpRecord[] | null) => records?.map((r) => r.seq) ?? null;

describe('OpTail', () => {
  it('serves ranges it holds and refuses ranges it does not', () => {
    const tail = new OpTail({ maxOps: 5, maxBytes: 1_000_000 });
    tail.reset(10);
    expect(tail.range(11, 11)).toBeNull();
    for (let seq = 11; seq <= 17; seq++) tail.append(record(seq));
    // Count bound: the two oldest went.
    expect([tail.firstSeq, tail.lastSeq, tail.size]).toEqual([13, 17, 5]);
    expect(seqs(tail.range(13, 17))).toEqual([13, 14, 15, 16, 17]);
    expect(seqs(tail.range(15, 16))).toEqual([15, 16]);
    expect(tail.range(12, 17)).toBeNull();
    expect(tail.range(13, 18)).toBeNull();
    // A repeat of a record already held changes nothing.
    tail.append(record(16));
    expect(seqs(tail.range(13, 17))).toEqual([13, 14, 15, 16, 17]);
  });

  it('is bounded by bytes as well as by count', () => {
    const tail = new OpTail({ maxOps: 1000, maxBytes: 600 });
    tail.reset(0);
    for (let seq = 1; seq <= 20; seq++) tail.append(record(seq, 'x'.repeat(100)));
    expect(tail.bytes).toBeLessThanOrEqual(600);
    expect(tail.lastSeq).toBe(20);
    expect(seqs(tail.range(tail.firstSeq ?? 0, 20))?.length).toBe(tail.size);
    expect(tail.size).toBeGreaterThan(0);
    expect(tail.size).toBeLessThan(20);
  });

  it('takes older records that join up, newest first, while they fit', () => {
    const tail = new OpTail({ maxOps: 4, maxBytes: 1_000_000 });
    tail.reset(5);
    tail.append(record(6));
    tail.append(record(7));
    // Not joining up (ends at 4, the tail starts at 6): ignored.
    tail.prepend([record(3), record(4)]);
    expect(tail.firstSeq).toBe(6);
    tail.prepend([record(1), record(2), record(3), record(4), record(5)]);
    expect(seqs(tail.range(4, 7))).toEqual([4, 5, 6, 7]);
    expect(tail.range(3, 7)).toBeNull();
  });

  it('starts again after a hole rather than serve a range with one', () => {
    const tail = new OpTail({ maxOps: 10, maxBytes: 1_000_000 });
    tail.reset(0);
    tail.append(record(1));
    tail.append(record(2));
    tail.append(record(5));
    expect(tail.range(1, 5)).toBeNull();
    expect(seqs(tail.range(5, 5))).toEqual([5]);
  });

  it('holds nothing with a zero bound', () => {
    const tail = new OpTail({ maxOps: 0, maxBytes: 1_000_000 });
    tail.reset(0);
    tail.append(record(1));
    expect(tail.range(1, 1)).toBeNull();
    expect(seqs(tail.range(2, 1))).toEqual([]);
  });
});
