import { describe, expect, it } from 'vitest';
import {
  cursorLatencyInBytes,
  cursorLatencyInText,
  cursorLatencyUs,
  eachCursorLatencyInBytes,
  epochOf,
  nowUs,
  opLatencyInBytes,
  opLatencyInText,
  SenderStamps,
  sentStampUs,
  stampedCursor,
  stampedOpId,
} from './stamp.ts';

describe('stamps', () => {
  it('round-trips a cursor stamp through JSON', () => {
    const sent = 123_456_789_012.4;
    const text = JSON.stringify({
      type: 'presence',
      entry: { clientId: 'c', cursor: stampedCursor(sent, 7) },
    });
    expect(cursorLatencyInText(text, 7, sent + 1_500)).toBe(1_500);
  });

  it('keeps cursors inside the valid longitude and latitude ranges', () => {
    const [lng, lat] = stampedCursor(nowUs(), epochOf(500));
    expect(lng).toBeGreaterThanOrEqual(0);
    expect(lng).toBeLessThan(180);
    expect(lat).toBeGreaterThan(0);
    expect(lat).toBeLessThan(90);
  });

  it('survives the 100 s wrap', () => {
    const [lng, lat] = stampedCursor(199_999_000, 3);
    expect(cursorLatencyUs(lng, lat, 3, 200_000_500)).toBe(1_500);
  });

  it('ignores stamps from another run and messages without one', () => {
    const [lng] = stampedCursor(5_000, 3);
    expect(cursorLatencyUs(lng, 4, 3, 6_000)).toBeNull();
    expect(cursorLatencyInText('{"cursor":null}', 3, 1)).toBeNull();
    expect(cursorLatencyInText('{"type":"welcome"}', 3, 1)).toBeNull();
  });

  it('reads the same stamps from bytes as from text', () => {
    const sent = 987_654_321.7;
    const presence = JSON.stringify({ entry: { clientId: 'c', cursor: stampedCursor(sent, 5) } });
    const op = `{"type":"op","record":{"opId":"${stampedOpId(sent, 5, 'c', 1)}"}}`;
    const framed = Buffer.from(`xx${presence}${op}yy`);
    const presenceEnd = 2 + Buffer.byteLength(presence);
    expect(cursorLatencyInBytes(framed, 2, presenceEnd, 5, sent + 42)).toBe(
      cursorLatencyInText(presence, 5, sent + 42),
    );
    expect(opLatencyInBytes(framed, presenceEnd, framed.length - 2, 5, sent + 42)).toBe(
      opLatencyInText(op, 5, sent + 42),
    );
    // A stamp past the end of the range belongs to another message.
    expect(cursorLatencyInBytes(framed, presenceEnd, framed.length, 5, sent)).toBeNull();
    expect(opLatencyInBytes(framed, 0, presenceEnd, 5, sent)).toBeNull();
  });

  it('round-trips an op stamp', () => {
    const id = stampedOpId(1_000_000, 2, 'w0c5', 9);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    const text = `{"type":"op","mapId":"m","record":{"seq":3,"opId":"${id}","clientId":"c"}}`;
    expect(opLatencyInText(text, 2, 1_002_000)).toBe(2_000);
    expect(opLatencyInText(text, 3, 1_002_000)).toBeNull();
  });

  it('reads every entry of a presence batch but the receiver’s own', () => {
    const sent = 555_000_000.25;
    const entry = (clientId: string, delayUs: number) => ({
      clientId,
      name: clientId,
      cursor: stampedCursor(sent - delayUs, 5),
      viewport: null,
    });
    const frame = JSON.stringify({
      type: 'presenceBatch',
      mapId: 'm',
      entries: [entry('a', 100), entry('me', 200), entry('b', 300), entry('mee', 400)],
    });
    const framed = Buffer.from(`xx${frame}yy`);
    const seen: [number, number][] = [];
    eachCursorLatencyInBytes(framed, 2, framed.length - 2, 5, sent, Buffer.from('me'), (latency, bytes) =>
      seen.push([latency, bytes]),
    );
    expect(seen.map(([latency]) => latency)).toEqual([100, 300, 400]);
    expect(seen.every(([, bytes]) => bytes === Buffer.byteLength(frame) / 4)).toBe(true);
    // A single `presence` message is a batch of one.
    const single = Buffer.from(JSON.stringify({ type: 'presence', entry: entry('a', 50) }));
    const one: number[] = [];
    eachCursorLatencyInBytes(single, 0, single.length, 5, sent, Buffer.from('me'), (l) => one.push(l));
    expect(one).toEqual([50]);
  });

  it('counts a broadcast once per receiver: a resent or older stamp of a sender is a repeat', () => {
    const stamps = new SenderStamps();
    expect(stamps.fresh('a', 1_000, 5)).toBe(true);
    expect(stamps.fresh('a', 1_000, 5)).toBe(false);
    expect(stamps.fresh('b', 1_000, 5)).toBe(true);
    expect(stamps.fresh('a', 900, 5)).toBe(false);
    expect(stamps.fresh('a', 2_000, 5)).toBe(true);
    // Across the 100 s wrap, the newer stamp is the small one.
    expect(stamps.fresh('w', 99_999_000, 5)).toBe(true);
    expect(stamps.fresh('w', 500, 5)).toBe(true);
    expect(stamps.fresh('w', 99_999_500, 5)).toBe(false);
    // A new run starts afresh.
    expect(stamps.fresh('a', 1_000, 6)).toBe(true);
  });

  it('recovers the send stamp from a delivery’s latency', () => {
    const [lng, lat] = stampedCursor(199_999_000, 3);
    const latency = cursorLatencyUs(lng, lat, 3, 200_000_500) as number;
    expect(sentStampUs(200_000_500, latency)).toBe(99_999_000);
  });
});
