import type { FeaturesChangedEvent } from '@meridian/protocol/client';

/** Someone else changed one feature this recently: their name is tagged on it. */
export const REMOTE_EDIT_WINDOW_MS = 5000;
/** At most this many author tags at once (the newest): a map is not to be buried under names. */
export const MAX_AUTHOR_TAGS = 5;

export interface RemoteEdit {
  clientId: string;
  at: number;
}

export type BulkVerb = 'imported' | 'deleted';

/** What a change made by someone else means for the people watching. */
export type RemoteActivity =
  | { kind: 'edit'; featureId: string; clientId: string }
  | { kind: 'bulk'; clientId: string; verb: BulkVerb; count: number };

/**
 * A single-feature edit earns an author tag; a bulk op (an import, a multi-delete) earns one
 * notice for the whole of it, never a tag per feature. Feed entries and layer ops are nobody's.
 */
export function remoteActivity(event: FeaturesChangedEvent): RemoteActivity | null {
  const { by, ids } = event;
  if (!by || ids === 'all' || ids.size === 0) return null;
  if (by.opKind === 'features.import' || by.opKind === 'features.delete')
    return {
      kind: 'bulk',
      clientId: by.clientId,
      verb: by.opKind === 'features.import' ? 'imported' : 'deleted',
      count: ids.size,
    };
  if (!by.opKind.startsWith('feature.') || ids.size !== 1) return null;
  const [featureId] = ids;
  return featureId === undefined ? null : { kind: 'edit', featureId, clientId: by.clientId };
}

/** The tags after one more edit: the newest `max`, one per feature. */
export function withRemoteEdit(
  edits: ReadonlyMap<string, RemoteEdit>,
  featureId: string,
  edit: RemoteEdit,
  max = MAX_AUTHOR_TAGS,
): Map<string, RemoteEdit> {
  const next = new Map(edits);
  // Re-inserted so the map's order stays oldest first.
  next.delete(featureId);
  next.set(featureId, edit);
  for (const key of next.keys()) {
    if (next.size <= max) break;
    next.delete(key);
  }
  return next;
}

/** The tags still fresh at `now`; the same map when none expired (no re-render for nothing). */
export function freshEdits(
  edits: ReadonlyMap<string, RemoteEdit>,
  now: number,
  windowMs = REMOTE_EDIT_WINDOW_MS,
): ReadonlyMap<string, RemoteEdit> {
  const cutoff = now - windowMs;
  for (const edit of edits.values())
    if (edit.at <= cutoff) return new Map([...edits].filter(([, e]) => e.at > cutoff));
  return edits;
}

/**
 * Bulk ops by each person, added up until they pause: a 100,000-feature import arrives as
 * 100 chunks, and is told as one notice.
 */
export class BulkTally {
  readonly #counts = new Map<string, number>();

  add(clientId: string, verb: BulkVerb, count: number): void {
    const key = `${verb}\u0000${clientId}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + count);
  }

  /** Everything added since the last drain, one entry per person and verb. */
  drain(): { clientId: string; verb: BulkVerb; count: number }[] {
    const out = [...this.#counts].map(([key, count]) => {
      const [verb, clientId] = key.split('\u0000') as [BulkVerb, string];
      return { clientId, verb, count };
    });
    this.#counts.clear();
    return out;
  }
}

/** "Ana imported 285 features", "Ana deleted 1 feature". */
export function bulkNotice(name: string, verb: BulkVerb, count: number): string {
  return `${name} ${verb} ${count.toLocaleString('en-US')} feature${count === 1 ? '' : 's'}`;
}
