import type { BulkBatch } from '@meridian/protocol';

/**
 * Whether a bulk op is arriving in chunks (an import, someone's or this person's own, or its
 * undo's deletes), so the map can hold its redraws as it does for a streaming join: each
 * `updateData` makes MapLibre rebuild the whole source, so a 100,000-feature import redrawn per
 * chunk costs the page a rebuild per chunk. An import names its batch and size: it is arriving
 * until all of its features are in (then the map draws at once), or until none of it came for
 * `stallMs` (cut short, or slow: what is in is drawn). Chunks without a batch (an undo's deletes)
 * are arriving while they keep coming, none missing for `quietMs`. Time is injected; this holds no
 * MapLibre state.
 */
export const BULK_QUIET_MS = 1_500;
export const BULK_STALL_MS = 10_000;

export class BulkArrivals {
  readonly #now: () => number;
  readonly #quietMs: number;
  readonly #stallMs: number;
  /** Batches not yet all in: features seen, by author ('' for this person) and batch. */
  readonly #batches = new Map<string, { seen: number; total: number; at: number }>();
  #lastAt = Number.NEGATIVE_INFINITY;

  constructor(now: () => number, quietMs = BULK_QUIET_MS, stallMs = BULK_STALL_MS) {
    this.#now = now;
    this.#quietMs = quietMs;
    this.#stallMs = stallMs;
  }

  /**
   * A chunk changed `count` features; `from` names a remote author (none: this person's own).
   * Returns true when this chunk completed its batch and nothing else is arriving.
   */
  arrived(count: number, batch?: BulkBatch, from = ''): boolean {
    const now = this.#now();
    this.#forgetStalled(now);
    if (!batch) {
      this.#lastAt = now;
      return false;
    }
    const key = `${from} ${batch.id}`;
    const entry = this.#batches.get(key) ?? { seen: 0, total: batch.total, at: now };
    entry.seen += count;
    entry.at = now;
    if (entry.seen < entry.total) {
      this.#batches.set(key, entry);
      return false;
    }
    this.#batches.delete(key);
    return !this.active;
  }

  /** Whether more chunks are expected. */
  get active(): boolean {
    return this.settlesInMs > 0;
  }

  /** How long until no more chunks are expected, if none comes (0 when none is). */
  get settlesInMs(): number {
    const now = this.#now();
    let until = this.#lastAt + this.#quietMs;
    for (const entry of this.#batches.values()) until = Math.max(until, entry.at + this.#stallMs);
    return Math.max(0, until - now);
  }

  #forgetStalled(now: number): void {
    for (const [key, entry] of this.#batches) if (now - entry.at >= this.#stallMs) this.#batches.delete(key);
  }
}
