import type { SnapshotHead, SnapshotPageSink } from '@meridian/db';
import { ErrorCode, MeridianError } from '@meridian/protocol';
import { describe, expect, it, vi } from 'vitest';
import {
  SNAPSHOT_REUSE_MS,
  type SnapshotRead,
  type SnapshotReadEnd,
  SnapshotShare,
} from './snapshot-share.ts';

// The share's own logic, with reads the test drives page by page (the reads themselves are
// storage's: packages/db snapshot-pages.integration.test.ts; rooms over them: room.test.ts).

const headAt = (seq: number, featureCount = 2): SnapshotHead => ({
  map: { id: 'm', name: 'M' },
  seq,
  featureCount,
  layers: [],
});

const text = (id: string) =>
  JSON.stringify({
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [1, 2] },
    properties: {},
    version: 0,
  });

interface ControlledRead {
  sink: SnapshotPageSink;
  resolve(found: boolean): void;
  reject(error: Error): void;
}

/** A share whose reads the test answers; what each read told the share's listeners is recorded. */
function controlledShare(maxChunkBytes?: number) {
  const reads: ControlledRead[] = [];
  const progress: SnapshotRead[] = [];
  const ends: SnapshotReadEnd[] = [];
  const share = new SnapshotShare({
    mapId: 'm',
    read: (sink) =>
      new Promise<boolean>((resolve, reject) => {
        reads.push({ sink, resolve, reject });
      }),
    onProgress: (read) => progress.push(read),
    onEnd: (end) => ends.push(end),
    maxChunkBytes,
  });
  return { share, reads, progress, ends };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SnapshotShare', () => {
  it('shares one read among the joins that arrive while it is read, each seeing its chunks as pages arrive', async () => {
    const { share, reads, progress, ends } = controlledShare(200);
    const first = share.acquire(3);
    const second = share.acquire(3);
    expect(reads).toHaveLength(1);
    await reads[0]?.sink.head(headAt(3, 3));
    const a = await first;
    expect(await second).toBe(a);
    expect(a.head?.seq).toBe(3);
    await reads[0]?.sink.page([text('a'), text('b')]);
    expect(a.frames?.count).toBe(1);
    expect(a.complete).toBe(false);
    // A join arriving mid-read shares it too.
    const third = await share.acquire(2);
    expect(third).toBe(a);
    await reads[0]?.sink.page([text('c')]);
    reads[0]?.resolve(true);
    await settle();
    expect(a.complete).toBe(true);
    expect(a.frames?.featureCount).toBe(3);
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(ends).toEqual(['read']);
    expect(reads).toHaveLength(1);
    share.clear();
  });

  it('reads again for a join that must cover ops the kept read lacks', async () => {
    const { share, reads } = controlledShare();
    const first = share.acquire(3);
    await reads[0]?.sink.head(headAt(3));
    reads[0]?.resolve(true);
    const kept = await first;
    share.release(kept);
    const later = share.acquire(4);
    await settle();
    expect(reads).toHaveLength(2);
    await reads[1]?.sink.head(headAt(4));
    expect((await later).head?.seq).toBe(4);
    share.clear();
  });

  it('a read every joiner left before it completed is abandoned: its next page throws, and the next join reads anew', async () => {
    const { share, reads, ends } = controlledShare();
    const first = share.acquire(1);
    await reads[0]?.sink.head(headAt(1));
    const read = await first;
    share.release(read);
    expect(read.end).toBe('abandoned');
    expect(() => reads[0]?.sink.page([text('a')])).toThrow(/abandoned/);
    reads[0]?.reject(new Error('rolled back'));
    await settle();
    expect(ends).toEqual(['abandoned']);
    const again = share.acquire(1);
    await settle();
    expect(reads).toHaveLength(2);
    await reads[1]?.sink.head(headAt(1));
    expect(await again).not.toBe(read);
    share.clear();
  });

  it('a failed read fails the joins waiting for its head with a typed error; the next join reads anew', async () => {
    const { share, reads, ends } = controlledShare();
    const waiting = share.acquire(1).catch((error: unknown) => error);
    reads[0]?.reject(new MeridianError(ErrorCode.STORAGE_UNAVAILABLE, 'down'));
    expect(await waiting).toMatchObject({ code: ErrorCode.STORAGE_UNAVAILABLE });
    expect(ends).toEqual(['failed']);
    const again = share.acquire(1);
    await settle();
    expect(reads).toHaveLength(2);
    await reads[1]?.sink.head(headAt(1));
    expect((await again).head?.seq).toBe(1);
    share.clear();
  });

  it('a missing map is MAP_NOT_FOUND', async () => {
    const { share, reads } = controlledShare();
    const waiting = share.acquire(0).catch((error: unknown) => error);
    reads[0]?.resolve(false);
    expect(await waiting).toMatchObject({ code: ErrorCode.MAP_NOT_FOUND });
  });

  it('keeps a complete read while it is held, and the reuse delay after the last joiner lets go', async () => {
    vi.useFakeTimers();
    try {
      const { share, reads } = controlledShare();
      const first = share.acquire(3);
      await reads[0]?.sink.head(headAt(3));
      reads[0]?.resolve(true);
      const read = await first;
      const other = await share.acquire(3);
      expect(other).toBe(read);
      await vi.advanceTimersByTimeAsync(SNAPSHOT_REUSE_MS * 3);
      share.release(read);
      await vi.advanceTimersByTimeAsync(SNAPSHOT_REUSE_MS * 3);
      expect(await share.acquire(3)).toBe(read);
      share.release(read);
      share.release(read);
      await vi.advanceTimersByTimeAsync(SNAPSHOT_REUSE_MS - 1);
      const stillKept = await share.acquire(3);
      expect(stillKept).toBe(read);
      share.release(read);
      expect(reads).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(SNAPSHOT_REUSE_MS);
      const again = share.acquire(3);
      await vi.advanceTimersByTimeAsync(0);
      expect(reads).toHaveLength(2);
      await reads[1]?.sink.head(headAt(3));
      expect(await again).not.toBe(read);
      share.clear();
    } finally {
      vi.useRealTimers();
    }
  });
});
