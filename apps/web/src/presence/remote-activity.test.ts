import type { FeaturesChangedEvent } from '@meridian/protocol/client';
import { describe, expect, it } from 'vitest';
import {
  BulkTally,
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
  it('adds up the chunks of one import per person until drained', () => {
    const tally = new BulkTally();
    for (let i = 0; i < 100; i++) tally.add('ana', 'imported', 1000);
    tally.add('bo', 'deleted', 3);
    expect(tally.drain()).toEqual([
      { clientId: 'ana', verb: 'imported', count: 100_000 },
      { clientId: 'bo', verb: 'deleted', count: 3 },
    ]);
    expect(tally.drain()).toEqual([]);
  });

  it('says who did what to how many', () => {
    expect(bulkNotice('Ana', 'imported', 285)).toBe('Ana imported 285 features');
    expect(bulkNotice('Ana', 'imported', 100_000)).toBe('Ana imported 100,000 features');
    expect(bulkNotice('Bo', 'deleted', 1)).toBe('Bo deleted 1 feature');
  });
});
