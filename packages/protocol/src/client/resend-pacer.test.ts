import { describe, expect, it } from 'vitest';
import type { Op } from '../messages/common.ts';
import { type OutgoingOp, ResendPacer } from './resend-pacer.ts';

const ops = (count: number, from = 0): OutgoingOp[] =>
  Array.from({ length: count }, (_, i) => ({
    opId: `o${from + i}`,
    op: { kind: 'feature.delete', id: `f${from + i}` } satisfies Op,
  }));
const ids = (list: OutgoingOp[]) => list.map((o) => o.opId);

describe('ResendPacer', () => {
  it('resends 300 queued ops in order, never more in flight than the window, as acks come back', () => {
    const pacer = new ResendPacer({ window: 64, burst: 40, perSecond: 20 }, 0);
    pacer.start(ops(300));
    const sent: string[] = [];
    let now = 0;
    let maxInFlight = 0;
    // A server that acks each op 100 ms after it was sent.
    const unacked: { opId: string; at: number }[] = [];
    while (sent.length < 300) {
      for (const item of pacer.take(now)) {
        sent.push(item.opId);
        unacked.push({ opId: item.opId, at: now + 100 });
      }
      maxInFlight = Math.max(maxInFlight, pacer.inFlight);
      now += 10;
      while (unacked[0] && unacked[0].at <= now) pacer.settle((unacked.shift() as { opId: string }).opId);
      expect(now, 'the resend must finish').toBeLessThan(60_000);
    }
    expect(sent).toEqual(ids(ops(300)));
    expect(maxInFlight).toBeLessThanOrEqual(64);
    expect(pacer.backlog).toBe(0);
  });

  it('keeps to the rate: the burst at once, then perSecond', () => {
    const pacer = new ResendPacer({ window: 1000, burst: 40, perSecond: 20 }, 0);
    pacer.start(ops(100));
    expect(pacer.take(0)).toHaveLength(40);
    expect(pacer.take(0)).toHaveLength(0);
    expect(pacer.waitMs(0)).toBe(50);
    expect(pacer.take(1000)).toHaveLength(20);
    // By any time t, at most burst + rate × t have left.
    let sent = 60;
    for (let t = 1000; t < 3000; t += 7) {
      sent += pacer.take(t).length;
      expect(sent).toBeLessThanOrEqual(40 + (20 * t) / 1000);
    }
    sent += pacer.take(3000).length;
    expect(sent).toBe(100);
  });

  it('stops at a full window until an ack (not a timer) reopens it', () => {
    const pacer = new ResendPacer({ window: 3, burst: 100, perSecond: 100 }, 0);
    pacer.start(ops(5));
    expect(ids(pacer.take(0))).toEqual(['o0', 'o1', 'o2']);
    expect(pacer.take(10_000)).toEqual([]);
    expect(pacer.waitMs(10_000)).toBeNull();
    pacer.settle('o1');
    expect(ids(pacer.take(10_000))).toEqual(['o3']);
  });

  it('queues ops made during the resend behind the backlog, and starts afresh on a new connection', () => {
    const pacer = new ResendPacer({ window: 10, burst: 2, perSecond: 1 }, 0);
    pacer.start(ops(3));
    expect(ids(pacer.take(0))).toEqual(['o0', 'o1']);
    pacer.push(ops(1, 3)[0] as OutgoingOp);
    expect(ids(pacer.take(2000))).toEqual(['o2', 'o3']);
    pacer.start(ops(2, 10));
    expect(pacer.inFlight).toBe(0);
    expect(pacer.backlog).toBe(2);
    pacer.clear();
    expect(pacer.backlog).toBe(0);
    expect(pacer.waitMs(0)).toBeNull();
  });

  it('refuses pacing that could never send', () => {
    expect(() => new ResendPacer({ window: 0, burst: 1, perSecond: 1 })).toThrow(RangeError);
    expect(() => new ResendPacer({ window: 1, burst: 1, perSecond: 0 })).toThrow(RangeError);
  });

  it('sends ops on the same target one at a time, in order, and others past them', () => {
    const pacer = new ResendPacer({ window: 64, burst: 40, perSecond: 20 }, 0);
    const rename = (opId: string, name: string): OutgoingOp => ({ opId, op: { kind: 'map.rename', name } });
    const move = (opId: string, id: string): OutgoingOp => ({
      opId,
      op: { kind: 'feature.move', id, geometry: { type: 'Point', coordinates: [0, 0] } },
    });
    pacer.start([rename('r1', 'a'), move('m1', 'f1'), rename('r2', 'b'), move('m2', 'f2'), move('m3', 'f1')]);
    expect(ids(pacer.take(0))).toEqual(['r1', 'm1', 'm2']);
    expect(pacer.waitMs(0)).toBeNull();
    pacer.settle('m1');
    expect(ids(pacer.take(0))).toEqual(['m3']);
    // r1 refused for a transient reason: it goes back before r2, which still waits for it.
    expect(pacer.requeue('r1', 500)).toBe(true);
    expect(ids(pacer.take(499))).toEqual([]);
    expect(ids(pacer.take(500))).toEqual(['r1']);
    pacer.settle('r1');
    expect(ids(pacer.take(500))).toEqual(['r2']);
  });

  it('holds a feature made in or moved to a user layer behind that layer’s add', () => {
    const pacer = new ResendPacer({ window: 64, burst: 40, perSecond: 20 }, 0);
    const layer = { id: 'l1', kind: 'user' as const, name: 'L', order: 0, style: {} };
    const point = { type: 'Point' as const, coordinates: [0, 0] as [number, number] };
    pacer.start([
      { opId: 'add', op: { kind: 'layer.add', layer } },
      {
        opId: 'make',
        op: {
          kind: 'feature.create',
          feature: { type: 'Feature', id: 'f1', geometry: point, properties: { layer: 'l1' }, version: 0 },
        },
      },
      { opId: 'other', op: { kind: 'feature.update', id: 'f2', properties: { title: 'x' } } },
      { opId: 'move', op: { kind: 'feature.update', id: 'f3', properties: { layer: 'l1' } } },
      { opId: 'out', op: { kind: 'feature.update', id: 'f4', properties: { layer: null } } },
    ]);
    expect(ids(pacer.take(0))).toEqual(['add', 'other', 'out']);
    // The add refused for a transient reason: nothing that needs the layer went past it.
    expect(pacer.requeue('add', 100)).toBe(true);
    expect(ids(pacer.take(100))).toEqual(['add']);
    pacer.settle('add');
    expect(ids(pacer.take(100))).toEqual(['make']);
    pacer.settle('make');
    expect(ids(pacer.take(100))).toEqual(['move']);
  });

  it('sends up to bulkWindow import chunks at once, outside the op rate, and an undo only after them, in order', () => {
    const pacer = new ResendPacer({ window: 64, burst: 1, perSecond: 1, bulkWindow: 3 }, 0);
    const chunk = (i: number): OutgoingOp => ({
      opId: `c${i}`,
      op: { kind: 'features.import', features: [] } as unknown as Op,
    });
    for (let i = 0; i < 5; i++) pacer.push(chunk(i));
    pacer.push({ opId: 'undo', op: { kind: 'features.delete', ids: ['f1'] } });
    pacer.push({ opId: 'move', op: { kind: 'feature.delete', id: 'x' } });
    // Three chunks, though the op bucket holds one token (which the single op takes).
    expect(ids(pacer.take(0))).toEqual(['c0', 'c1', 'c2', 'move']);
    expect(pacer.waitMs(0)).toBeNull();
    pacer.settle('c0');
    expect(ids(pacer.take(0))).toEqual(['c3']);
    pacer.settle('c1');
    pacer.settle('c2');
    expect(ids(pacer.take(0))).toEqual(['c4']);
    // The delete (an undo) waits until no import chunk is in flight.
    pacer.settle('c3');
    expect(ids(pacer.take(0))).toEqual([]);
    pacer.settle('c4');
    expect(ids(pacer.take(0))).toEqual(['undo']);
  });

  it('holds every later chunk behind one sent back by a transient refusal', () => {
    const pacer = new ResendPacer({ window: 64, burst: 10, perSecond: 10, bulkWindow: 2 }, 0);
    const chunk = (i: number): OutgoingOp => ({
      opId: `c${i}`,
      op: { kind: 'features.import', features: [] } as unknown as Op,
    });
    for (let i = 0; i < 4; i++) pacer.push(chunk(i));
    expect(ids(pacer.take(0))).toEqual(['c0', 'c1']);
    // c0 refused (the server's bulk budget): it goes back first, and nothing leaves before 500 ms.
    expect(pacer.requeue('c0', 500)).toBe(true);
    pacer.settle('c1');
    expect(ids(pacer.take(100))).toEqual([]);
    expect(pacer.waitMs(100)).toBe(400);
    expect(ids(pacer.take(500))).toEqual(['c0', 'c2']);
  });
});
