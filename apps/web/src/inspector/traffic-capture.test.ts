import { describe, expect, it } from 'vitest';
import { TrafficCapture } from './traffic-capture.ts';

const frame = (direction: 'in' | 'out', type: string, at = 1) => ({
  kind: 'frame' as const,
  direction,
  type,
  bytes: type.length,
  data: JSON.stringify({ type }),
  at,
});

describe('TrafficCapture', () => {
  it('keeps the newest entries up to its capacity, oldest first', () => {
    const capture = new TrafficCapture(3);
    for (let i = 1; i <= 5; i++) capture.record(frame('in', `t${i}`, i));
    expect(capture.entries().map((e) => e.at)).toEqual([3, 4, 5]);
    expect(capture.entries().map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it('filters frames by direction and type but always shows closes and status changes', () => {
    const capture = new TrafficCapture();
    capture.record(frame('out', 'op'));
    capture.record(frame('in', 'ack'));
    capture.record({ kind: 'close', at: 2, code: 1012, reason: 'restart' });
    capture.record({ kind: 'status', at: 3, status: 'reconnecting' });
    capture.record(frame('in', 'op'));
    const kinds = (filter: Parameters<TrafficCapture['entries']>[0]) =>
      capture.entries(filter).map((e) => (e.kind === 'frame' ? `${e.direction}:${e.type}` : e.kind));
    expect(kinds({ direction: 'in', type: 'all' })).toEqual(['in:ack', 'close', 'status', 'in:op']);
    expect(kinds({ direction: 'all', type: 'op' })).toEqual(['out:op', 'close', 'status', 'in:op']);
    expect(capture.types).toEqual(['ack', 'op']);
    expect(capture.closes).toBe(1);
  });

  it('records nothing while paused and counts what it missed', () => {
    const capture = new TrafficCapture();
    capture.record(frame('in', 'a'));
    capture.setPaused(true);
    capture.record(frame('in', 'b'));
    capture.record({ kind: 'close', at: 2, code: 1006, reason: '' });
    capture.setPaused(false);
    capture.record(frame('in', 'c'));
    expect(capture.entries().map((e) => (e.kind === 'frame' ? e.type : e.kind))).toEqual(['a', 'c']);
    expect(capture.missed).toBe(2);
    expect(capture.closes).toBe(1);
  });

  it('exports JSON with decoded payloads', () => {
    const capture = new TrafficCapture();
    capture.record(frame('out', 'hello'));
    capture.record({ ...frame('in', 'x'), data: 'not json' });
    const exported = JSON.parse(capture.export({ mapId: 'm1' }));
    expect(exported).toMatchObject({ mapId: 'm1', capacity: 2000, missedWhilePaused: 0 });
    expect(exported.entries.map((e: { payload: unknown }) => e.payload)).toEqual([
      { type: 'hello' },
      'not json',
    ]);
  });
});
