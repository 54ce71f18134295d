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
  | {
      kind: 'bulk';
      clientId: string;
      verb: BulkVerb;
      count: number;
      /** The import (or multi-delete) this chunk is part of, when its author's client said. */
      batch?: { id: string; total: number };
      /** The author's name as the server stamped it on the record. */
      name?: string;
    };

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
      ...(by.batch ? { batch: by.batch } : {}),
      ...(by.name ? { name: by.name } : {}),
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
 * A bulk op's chunks go quiet this long: what arrived of it is told. A chunk that completes its
 * batch is told at once; this only ends a batch cut short (its author left mid-import) or chunks
 * that carry no batch.
 */
export const BULK_QUIET_MS = 10_000;
/**
 * A batch whose size is known is told as cut short only after this long without a chunk: a page
 * drawing a big import can hear nothing for tens of seconds while the import goes on.
 */
export const BATCH_QUIET_MS = 60_000;

type BulkActivity = Extract<RemoteActivity, { kind: 'bulk' }>;

interface BulkEntry {
  clientId: string;
  verb: BulkVerb;
  name: string | undefined;
  count: number;
  total: number | undefined;
  lastAt: number;
}

/** One notice to show: who, what, how many (of how many, when the bulk op was cut short). */
export interface BulkNoticeEntry {
  clientId: string;
  name: string | undefined;
  verb: BulkVerb;
  count: number;
  total?: number;
}

/**
 * Bulk ops added up per import: the chunks of one batch (its id) are one notice, told when the
 * last of them arrives, whatever the pauses between them (an import of 10,000 is not told as
 * "2,189" because the machine was busy for a second). Chunks without a batch are added up per
 * person until they pause. Time comes in as `now`, so this is tested without timers.
 */
export class BulkNotices {
  readonly #entries = new Map<string, BulkEntry>();
  readonly #quietMs: number;
  readonly #batchQuietMs: number;

  constructor(quietMs = BULK_QUIET_MS, batchQuietMs = BATCH_QUIET_MS) {
    this.#quietMs = quietMs;
    this.#batchQuietMs = batchQuietMs;
  }

  #dueAt(entry: BulkEntry): number {
    return entry.lastAt + (entry.total === undefined ? this.#quietMs : this.#batchQuietMs);
  }

  /** One more chunk; the notice to show now when it completes its batch. */
  add(activity: BulkActivity, now: number): BulkNoticeEntry | null {
    const key = activity.batch
      ? `batch\u0000${activity.batch.id}`
      : `${activity.verb}\u0000${activity.clientId}`;
    const entry = this.#entries.get(key) ?? {
      clientId: activity.clientId,
      verb: activity.verb,
      name: undefined,
      count: 0,
      total: activity.batch?.total,
      lastAt: now,
    };
    entry.count += activity.count;
    entry.lastAt = now;
    entry.name = activity.name ?? entry.name;
    this.#entries.set(key, entry);
    if (entry.total === undefined || entry.count < entry.total) return null;
    this.#entries.delete(key);
    return noticeOf(entry);
  }

  /** The entries quiet for the quiet time at `now`, told (and forgotten). */
  due(now: number): BulkNoticeEntry[] {
    const out: BulkNoticeEntry[] = [];
    for (const [key, entry] of this.#entries) {
      if (now < this.#dueAt(entry)) continue;
      this.#entries.delete(key);
      out.push(noticeOf(entry));
    }
    return out;
  }

  /**
   * The page could not listen until `now` (a long task, a busy machine): chunks that came meanwhile
   * wait behind the timer that says an import went quiet, so the quiet time starts again now.
   */
  resumed(now: number): void {
    for (const entry of this.#entries.values()) entry.lastAt = Math.max(entry.lastAt, now);
  }

  /** When the next entry falls due, or null when none is waiting. */
  nextDueAt(): number | null {
    let next: number | null = null;
    for (const entry of this.#entries.values()) {
      const at = this.#dueAt(entry);
      if (next === null || at < next) next = at;
    }
    return next;
  }
}

function noticeOf(entry: BulkEntry): BulkNoticeEntry {
  const { clientId, name, verb, count, total } = entry;
  return total !== undefined && count < total
    ? { clientId, name, verb, count, total }
    : { clientId, name, verb, count };
}

/** "Ana imported 285 features", "Ana deleted 1 feature", "Ana imported 2,189 of 10,000 features". */
export function bulkNotice(name: string, verb: BulkVerb, count: number, total?: number): string {
  const of = total === undefined ? '' : ` of ${total.toLocaleString('en-US')}`;
  const plural = (total ?? count) === 1 ? '' : 's';
  return `${name} ${verb} ${count.toLocaleString('en-US')}${of} feature${plural}`;
}
