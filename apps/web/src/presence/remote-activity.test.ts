import type { FeaturesChangedEvent } from '@meridian/protocol/client';
import { describe, expect, it } from 'vitest';
import {
  BulkNotices,
  bulkNotice,
  freshEdits,
  MAX_AUTHOR_TAGS,
  type RemoteEdit,
  remoteActivity,
  withRemoteEdit,
} from './remote-activity.ts';

const change = (ids: string[], opKind?: string, clientId = 'ana'): FeaturesChangedEvent => ({
  ids: new Set(ids),
  origin: opKind ? 'remote' : 'local',
  ...(opKind ? { by: { clientId, opKind: opKind as never } } : {}),
});

describe('remoteActivity', () => {
  it('tags a single-feature edit by someone else', () => {
    expect(remoteActivity(change(['f1'], 'feature.update'))).toEqual({
      kind: 'edit',
      featureId: 'f1',
      clientId: 'ana',
    });
    expect(remoteActivity(change(['f1'], 'feature.move'))?.kind).toBe('edit');
  });

  it('makes a bulk import one notice, never a tag per feature', () => {
    const ids = Array.from({ length: 285 }, (_, i) => `c${i}`);
    expect(remoteActivity(change(ids, 'features.import'))).toEqual({
      kind: 'bulk',
      clientId: 'ana',
      verb: 'imported',
      count: 285,
    });
    expect(remoteActivity(change(['a', 'b'], 'features.delete'))).toMatchObject({
      verb: 'deleted',
      count: 2,
    });
    const named = remoteActivity({
      ids: new Set(['x']),
      origin: 'remote',
      by: { clientId: 'ana', opKind: 'features.import', batch: { id: 'imp', total: 9 }, name: 'Ana' },
    });
    expect(named).toMatchObject({ batch: { id: 'imp', total: 9 }, name: 'Ana' });
  });

  it('ignores one’s own edits, feeds, layer ops and whole-map reloads', () => {
    expect(remoteActivity(change(['f1']))).toBeNull();
    expect(remoteActivity(change(['q1', 'q2'], 'layer.entries'))).toBeNull();
    expect(remoteActivity(change(['l1'], 'layer.add'))).toBeNull();
    expect(remoteActivity({ ids: 'all', origin: 'remote' })).toBeNull();
  });
});

describe('author tags', () => {
  it('keeps only the newest few, one per feature', () => {
    let edits: ReadonlyMap<string, RemoteEdit> = new Map();
    for (let i = 0; i < 20; i++) edits = withRemoteEdit(edits, `f${i}`, { clientId: 'ana', at: i });
    expect([...edits.keys()]).toEqual(
      Array.from({ length: MAX_AUTHOR_TAGS }, (_, i) => `f${20 - MAX_AUTHOR_TAGS + i}`),
    );
    // Editing a tagged feature again moves it to the newest end, without a second tag.
    edits = withRemoteEdit(edits, 'f15', { clientId: 'bo', at: 30 });
    expect(edits.size).toBe(MAX_AUTHOR_TAGS);
    expect([...edits.keys()].at(-1)).toBe('f15');
    expect(edits.get('f15')?.clientId).toBe('bo');
  });

  it('lets tags expire after a few seconds, and keeps the same map when none did', () => {
    const edits = new Map([
      ['old', { clientId: 'ana', at: 1000 }],
      ['new', { clientId: 'ana', at: 5000 }],
    ]);
    expect(freshEdits(edits, 5500, 5000)).toBe(edits);
    expect([...freshEdits(edits, 6500, 5000).keys()]).toEqual(['new']);
  });
});

describe('bulk notices', () => {
  const chunk = (count: number, extra: { batch?: { id: string; total: number }; name?: string } = {}) => ({
    kind: 'bulk' as const,
    clientId: 'ada-tab',
    verb: 'imported' as const,
    count,
    ...extra,
  });

  it('tells an import once, when its last chunk arrives, with the whole count and the stamped name', () => {
    const notices = new BulkNotices(1000);
    const batch = { id: 'imp-1', total: 10_000 };
    // Long pauses between chunks (a busy machine) do not split it.
    for (let i = 0; i < 9; i++) {
      expect(notices.add(chunk(1000, { batch, name: 'Ada' }), i * 5000)).toBeNull();
      expect(notices.due(i * 5000 + 900)).toEqual([]);
    }
    expect(notices.add(chunk(1000, { batch, name: 'Ada' }), 50_000)).toEqual({
      clientId: 'ada-tab',
      name: 'Ada',
      verb: 'imported',
      count: 10_000,
    });
    expect(notices.nextDueAt()).toBeNull();
  });

  it('keeps two imports apart, and tells one cut short with how far it came', () => {
    const notices = new BulkNotices(500, 1000);
    notices.add(chunk(100, { batch: { id: 'a', total: 300 }, name: 'Ada' }), 0);
    notices.add(chunk(5, { batch: { id: 'b', total: 5 }, name: 'Bo' }), 10);
    expect(notices.nextDueAt()).toBe(1000);
    expect(notices.due(999)).toEqual([]);
    expect(notices.due(1000)).toEqual([
      { clientId: 'ada-tab', name: 'Ada', verb: 'imported', count: 100, total: 300 },
    ]);
  });

  it('does not count the time the page was busy as quiet', () => {
    const notices = new BulkNotices(500, 1000);
    notices.add(chunk(100, { batch: { id: 'a', total: 300 }, name: 'Ada' }), 0);
    // The page was blocked from 0 to 5,000: the timer due at 1,000 fires 4 s late, chunks queued.
    notices.resumed(5_000);
    expect(notices.nextDueAt()).toBe(6_000);
    expect(notices.due(5_000)).toEqual([]);
    expect(notices.add(chunk(200, { batch: { id: 'a', total: 300 }, name: 'Ada' }), 5_001)).toEqual({
      clientId: 'ada-tab',
      name: 'Ada',
      verb: 'imported',
      count: 300,
    });
  });

  it('adds up chunks without a batch per person until they pause', () => {
    const notices = new BulkNotices(1000);
    for (let i = 0; i < 100; i++) expect(notices.add(chunk(1000), i * 10)).toBeNull();
    expect(notices.due(1500)).toEqual([]);
    expect(notices.due(2000)).toEqual([
      { clientId: 'ada-tab', name: undefined, verb: 'imported', count: 100_000 },
    ]);
  });

  it('says who did what to how many', () => {
    expect(bulkNotice('Ana', 'imported', 285)).toBe('Ana imported 285 features');
    expect(bulkNotice('Ana', 'imported', 100_000)).toBe('Ana imported 100,000 features');
    expect(bulkNotice('Bo', 'deleted', 1)).toBe('Bo deleted 1 feature');
    expect(bulkNotice('Ana', 'imported', 2189, 10_000)).toBe('Ana imported 2,189 of 10,000 features');
  });
});
