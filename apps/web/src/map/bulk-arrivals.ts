import type { BulkBatch } from '@meridian/protocol';

/**
 * Whether a bulk op is arriving in chunks (an import, someone's or this person's own, or its
 * undo's deletes), so the map can hold its redraws as it does for a streaming join: each
 * `updateData` makes MapLibre rebuild the whole source, so a 100,000-feature import redrawn per
 * chunk costs the page a rebuild per chunk. A bulk op is arriving while its chunks keep coming
 * (none missing for `quietMs`); a remote batch also ends as soon as all of its features are in,
 * so the last of them is drawn at once. Time is injected; this holds no MapLibre state.
 */
export const BULK_QUIET_MS = 1_500;
/** A remote batch not heard from for this long was cut short: it no longer counts. */
const FORGET_BATCH_MS = 30_000;

export class BulkArrivals {
  readonly #now: () => number;
  readonly #quietMs: number;
  /** Remote batches not yet all in: features seen, by author and batch. */
  readonly #batches = new Map<string, { seen: number; total: number; at: number }>();
  #lastAt = Number.NEGATIVE_INFINITY;

  constructor(now: () => number, quietMs = BULK_QUIET_MS) {
    this.#now = now;
    this.#quietMs = quietMs;
  }

  /**
   * A chunk changed `count` features. `from` names a remote author; a batch of theirs counts its
   * features. Returns true when this chunk completed a remote batch and nothing else is arriving.
   */
  arrived(count: number, batch?: BulkBatch, from?: string): boolean {
    const now = this.#now();
    this.#lastAt = now;
    for (const [key, entry] of this.#batches) if (now - entry.at > FORGET_BATCH_MS) this.#batches.delete(key);
    if (!batch || from === undefined) return false;
    const key = `${from} ${batch.id}`;
    const entry = this.#batches.get(key) ?? { seen: 0, total: batch.total, at: now };
    entry.seen += count;
    entry.at = now;
    if (entry.seen < entry.total) {
      this.#batches.set(key, entry);
      return false;
    }
    this.#batches.delete(key);
    if (this.#batches.size > 0) return false;
    // The batch is all in: nothing is held for it any longer.
    this.#lastAt = Number.NEGATIVE_INFINITY;
    return true;
  }

  /** Whether more chunks are expected: one came within `quietMs`. */
  get active(): boolean {
    return this.#now() - this.#lastAt < this.#quietMs;
  }

  /** How long until the chunks count as stopped, if no other comes (0 when not active). */
  get settlesInMs(): number {
    return Math.max(0, this.#lastAt + this.#quietMs - this.#now());
  }
}
