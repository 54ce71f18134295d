/**
 * When the map should hand feature changes to MapLibre. A small edit goes out on the next
 * animation frame. A big stream of changes (a snapshot arriving in chunks, an import's records)
 * would otherwise cost a whole source rebuild per frame: MapLibre re-clusters and re-tiles the
 * entire source for any update, so N features arriving in k updates cost O(N·k). During such a
 * burst the updates are paced instead: each waits until the previous one's worker time has been
 * repaid several times over (the worker is busy a bounded share of the load), and goes out once
 * the stream pauses or, at the latest, after a progress interval, so the map still fills while
 * the stream lasts. A snapshot streaming into an empty map (a join), or a bulk op arriving in chunks
 * (an import, its undo; see BulkArrivals), is held further: an update goes out only once it at
 * least doubles what the map holds, so the sources are rebuilt about
 * log2(N) times while N features arrive (O(N) worker work in all, not a whole rebuild per second
 * of the stream); the first chunk still draws at once, the rest when the stream ends (the caller
 * says so) or stalls. This person's own small edits always go out on the next frame, whatever
 * else is streaming. Time is injected; this holds no MapLibre state.
 */

export interface FeatureFlushPacing {
  /** Changed ids within `burstWindowMs` above which changes count as a burst. */
  burstIds: number;
  burstWindowMs: number;
  /** In a burst: flush once no change arrived for this long (the stream paused or ended). */
  quietMs: number;
  /** In a burst: flush at the latest this long after the first change waiting, so progress shows. */
  progressMs: number;
  /** In a burst: never two flushes closer than this… */
  minIntervalMs: number;
  /** …nor closer than this many times the last flush's worker time. */
  workFactor: number;
  /**
   * While a snapshot streams into the map (or a bulk op arrives): changes wait until they are this
   * many times what the map already holds, or until the stream ends or stalls for `fillStallMs`.
   */
  fillGrowth: number;
  fillStallMs: number;
  /**
   * A change of this person's own touching at most this many ids (a drag, a delete, an undo) goes
   * out on the next frame, whatever streams meanwhile; a bigger one (their import) is held or paced.
   */
  editIds: number;
}

/** What the map holds and has waiting, given while a snapshot streams into it or a bulk op arrives. */
export interface FillState {
  rendered: number;
  pending: number;
  /** How long to hold at most (a bulk op's own stall time); `fillStallMs` when not given. */
  stallMs?: number;
}

export interface ChangeContext {
  /** A snapshot is streaming into the map, or a bulk op arriving (never given for a disconnect or a resync). */
  fill?: FillState;
  /** The change is this person's own (an edit or an import of theirs, or its record coming back). */
  local?: boolean;
}

export const FEATURE_FLUSH_PACING: FeatureFlushPacing = {
  burstIds: 2_000,
  burstWindowMs: 1_000,
  quietMs: 150,
  progressMs: 1_000,
  minIntervalMs: 300,
  workFactor: 3,
  fillGrowth: 1,
  fillStallMs: 5_000,
  editIds: 100,
};

export class FeatureFlushPacer {
  readonly #now: () => number;
  readonly #pacing: FeatureFlushPacing;
  #windowStart = Number.NEGATIVE_INFINITY;
  #windowIds = 0;
  #burstUntil = Number.NEGATIVE_INFINITY;
  #waitingSince: number | null = null;
  #lastFlushAt = Number.NEGATIVE_INFINITY;
  #lastWorkMs = 0;

  constructor(now: () => number, pacing: FeatureFlushPacing = FEATURE_FLUSH_PACING) {
    this.#now = now;
    this.#pacing = pacing;
  }

  /** True while changes arrive as a burst (and for a window after the last of it). */
  get inBurst(): boolean {
    return this.#now() < this.#burstUntil;
  }

  /**
   * `count` ids changed (`Infinity` for a change of everything that must show at once, like the
   * first fill). Returns how long to wait before flushing: 0 means on the next animation frame.
   */
  changed(count: number, { fill, local = false }: ChangeContext = {}): number {
    const now = this.#now();
    const pacing = this.#pacing;
    if (count === Number.POSITIVE_INFINITY) return 0;
    // A drag, a delete: the person must see their own edit at once (it flushes whatever waits).
    if (local && count <= pacing.editIds) return 0;
    // The stream's next chunk (or its end) comes sooner than this: it is only the fallback.
    if (fill && fill.rendered > 0 && fill.pending < fill.rendered * pacing.fillGrowth)
      return fill.stallMs ?? pacing.fillStallMs;
    if (now - this.#windowStart > pacing.burstWindowMs) {
      this.#windowStart = now;
      this.#windowIds = 0;
    }
    this.#windowIds += count;
    if (this.#windowIds > pacing.burstIds || now < this.#burstUntil)
      this.#burstUntil = now + pacing.burstWindowMs;
    if (now >= this.#burstUntil) return 0;
    this.#waitingSince ??= now;
    const earliest = this.#lastFlushAt + Math.max(pacing.minIntervalMs, pacing.workFactor * this.#lastWorkMs);
    const wanted = Math.min(now + pacing.quietMs, this.#waitingSince + pacing.progressMs);
    return Math.max(0, Math.max(earliest, wanted) - now);
  }

  /** The pending changes went to the map's sources now. */
  flushing(): void {
    this.#lastFlushAt = this.#now();
    this.#waitingSince = null;
  }

  /** MapLibre's workers finished that update after `workMs`. */
  flushed(workMs: number): void {
    this.#lastWorkMs = workMs;
  }
}
