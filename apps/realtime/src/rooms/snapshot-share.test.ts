import type { MapSnapshot } from '@meridian/db';
import { describe, expect, it, vi } from 'vitest';
import { SNAPSHOT_REUSE_MS, SnapshotShare } from './snapshot-share.ts';

const snapshotAt = (seq: number): MapSnapshot => ({
  map: { id: 'm', name: 'M' },
  seq,
  features: [],
  layers: [],
});

/** A reader whose reads the test resolves one by one, each with the map's seq at that moment. */
function controlledReader() {
  const reads: { resolve: (snapshot: MapSnapshot | null) => void; reject: (error: Error) => void }[] = [];
  const read = () =>
    new Promise<MapSnapshot | null>((resolve, reject) => {
      reads.push({ resolve, reject });
    });
  return { read, reads };
}

describe('SnapshotShare', () => {
  it('shares one read among the joins waiting for it, and reuses it while it covers them', async () => {
    const { read, reads } = controlledReader();
    const share = new SnapshotShare(read);
    const first = share.get(3);
    const second = share.get(3);
    expect(reads).toHaveLength(1);
    reads[0]?.resolve(snapshotAt(3));
    expect(await first).toEqual(snapshotAt(3));
    expect(await second).toBe(await first);
    expect(await share.get(2)).toBe(await first);
    expect(reads).toHaveLength(1);
    share.clear();
  });

  it('reads again for a join that must cover ops the kept snapshot lacks', async () => {
    const { read, reads } = controlledReader();
    const share = new SnapshotShare(read);
    const first = share.get(3);
    reads[0]?.resolve(snapshotAt(3));
    await first;
    const later = share.get(4);
    await Promise.resolve();
    expect(reads).toHaveLength(2);
    reads[1]?.resolve(snapshotAt(4));
    expect((await later)?.seq).toBe(4);
    share.clear();
  });

  it('does not hand a join a read that started before it and turned out too old', async () => {
    const { read, reads } = controlledReader();
    const share = new SnapshotShare(read);
    const early = share.get(3);
    // This join became a joiner after op 5 was delivered; the read in flight began before that.
    const late = share.get(5);
    expect(reads).toHaveLength(1);
    reads[0]?.resolve(snapshotAt(4));
    expect((await early)?.seq).toBe(4);
    await Promise.resolve();
    await Promise.resolve();
    expect(reads).toHaveLength(2);
    reads[1]?.resolve(snapshotAt(5));
    expect((await late)?.seq).toBe(5);
    share.clear();
  });

  it('passes a failed read to every join waiting on it, and reads afresh afterwards', async () => {
    const { read, reads } = controlledReader();
    const share = new SnapshotShare(read);
    const first = share.get(1);
    const second = share.get(1);
    reads[0]?.reject(new Error('database down'));
    await expect(first).rejects.toThrow('database down');
    await expect(second).rejects.toThrow('database down');
    const retry = share.get(1);
    expect(reads).toHaveLength(2);
    reads[1]?.resolve(null);
    expect(await retry).toBeNull();
  });

  it('keeps a snapshot while it is streamed, and the reuse delay after its last stream ends', async () => {
    vi.useFakeTimers();
    try {
      const { read, reads } = controlledReader();
      const share = new SnapshotShare(read);
      const first = share.get(3);
      reads[0]?.resolve(snapshotAt(3));
      const snapshot = await first;
      if (!snapshot) throw new Error('no snapshot');
      share.streamStarted(snapshot);
      share.streamStarted(snapshot);
      vi.advanceTimersByTime(SNAPSHOT_REUSE_MS * 3);
      expect(await share.get(3)).toBe(snapshot);
      share.streamEnded(snapshot);
      vi.advanceTimersByTime(SNAPSHOT_REUSE_MS * 3);
      expect(await share.get(3)).toBe(snapshot);
      share.streamEnded(snapshot);
      vi.advanceTimersByTime(SNAPSHOT_REUSE_MS - 1);
      expect(await share.get(3)).toBe(snapshot);
      expect(reads).toHaveLength(1);
      vi.advanceTimersByTime(1);
      const again = share.get(3);
      expect(reads).toHaveLength(2);
      reads[1]?.resolve(snapshotAt(3));
      expect(await again).not.toBe(snapshot);
      share.clear();
    } finally {
      vi.useRealTimers();
    }
  });
});
