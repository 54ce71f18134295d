import type { OpRecord } from '@meridian/protocol';

export interface OpSequencerOptions {
  /** How long a record that arrived after a gap waits for the missing ones before they are fetched. */
  gapHoldMs: number;
  /** Reads committed records in [fromSeq, toSeq] from the op log. */
  fetch(fromSeq: number, toSeq: number): Promise<OpRecord[]>;
  /** Called exactly once per seq, in strictly increasing order without holes. */
  deliver(record: OpRecord): void;
  onFetchError(error: unknown): void;
  onFill(): void;
}

/** Records fetched per op-log read when catching up to the head. */
const CATCH_UP_BATCH = 500;
/** Pause before retrying a failed op-log read (the database may be down). */
const RETRY_DELAY_MS = 500;

/**
 * Per-map, per-node delivery order. Records arrive from the bus and from local commits in any
 * order, with duplicates and holes (a bus outage, a node that died between commit and publish).
 * The sequencer delivers them strictly in seq order: it drops duplicates, holds records that
 * arrive after a gap for `gapHoldMs`, then reads the missing range from the op log.
 */
export class OpSequencer {
  readonly #options: OpSequencerOptions;
  /** Highest seq delivered; null until the base is known (the map's seq when the room opened). */
  #delivered: number | null = null;
  readonly #ahead = new Map<number, OpRecord>();
  /** Highest seq that peers reported (heartbeats); ahead of #delivered means something was missed. */
  #knownHead = 0;
  #holdTimer: ReturnType<typeof setTimeout> | null = null;
  #fetching = false;
  #wantGapFill = false;
  #wantCatchUp = false;
  #stopped = false;

  constructor(options: OpSequencerOptions) {
    this.#options = options;
  }

  get deliveredSeq(): number | null {
    return this.#delivered;
  }

  /** Start delivering after `baseSeq` (records at or below it are already part of every snapshot). */
  start(baseSeq: number): void {
    if (this.#delivered !== null) return;
    this.#delivered = baseSeq;
    for (const seq of this.#ahead.keys()) if (seq <= baseSeq) this.#ahead.delete(seq);
    this.#drain();
  }

  offer(record: OpRecord): void {
    if (this.#stopped) return;
    if (this.#delivered !== null && record.seq <= this.#delivered) return;
    this.#ahead.set(record.seq, record);
    this.#knownHead = Math.max(this.#knownHead, record.seq);
    if (this.#delivered !== null) this.#drain();
  }

  /** A peer says the map is at `seq`: if we are behind and nothing in flight explains it, catch up. */
  noteHead(seq: number): void {
    if (this.#stopped || this.#delivered === null || seq <= this.#delivered) return;
    this.#knownHead = Math.max(this.#knownHead, seq);
    this.#armHold();
  }

  /** Read everything after the delivered seq from the op log (after a bus outage). */
  catchUp(): void {
    if (this.#stopped) return;
    this.#wantCatchUp = true;
    void this.#fill();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#holdTimer) clearTimeout(this.#holdTimer);
    this.#holdTimer = null;
    this.#ahead.clear();
  }

  #drain(): void {
    let delivered = this.#delivered;
    if (delivered === null) return;
    for (let next = this.#ahead.get(delivered + 1); next; next = this.#ahead.get(delivered + 1)) {
      this.#ahead.delete(next.seq);
      delivered = next.seq;
      this.#delivered = delivered;
      this.#options.deliver(next);
      if (this.#stopped) return;
    }
    if (this.#ahead.size > 0 || this.#knownHead > delivered) this.#armHold();
  }

  #armHold(): void {
    if (this.#holdTimer || this.#stopped) return;
    this.#holdTimer = setTimeout(() => {
      this.#holdTimer = null;
      if (this.#behind()) {
        this.#wantGapFill = true;
        void this.#fill();
      }
    }, this.#options.gapHoldMs);
  }

  #behind(): boolean {
    const delivered = this.#delivered;
    return delivered !== null && (this.#ahead.size > 0 || this.#knownHead > delivered);
  }

  #lowestAhead(): number | undefined {
    let lowest: number | undefined;
    for (const seq of this.#ahead.keys()) if (lowest === undefined || seq < lowest) lowest = seq;
    return lowest;
  }

  /** One reader at a time; loops until neither a gap fill nor a catch-up is wanted. */
  async #fill(): Promise<void> {
    if (this.#fetching) return;
    this.#fetching = true;
    try {
      while (!this.#stopped && this.#delivered !== null && (this.#wantGapFill || this.#wantCatchUp)) {
        const from = this.#delivered + 1;
        const lowest = this.#lowestAhead();
        const fillingGap = this.#wantGapFill && lowest !== undefined && lowest > from;
        const to = fillingGap && lowest !== undefined ? lowest - 1 : from + CATCH_UP_BATCH - 1;
        let records: OpRecord[];
        try {
          records = await this.#options.fetch(from, to);
        } catch (error) {
          this.#options.onFetchError(error);
          await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
          continue;
        }
        if (records.length > 0) this.#options.onFill();
        for (const record of records) this.offer(record);
        if (!fillingGap) {
          // A short read means we reached the head of the op log.
          if (records.length < to - from + 1) {
            this.#wantCatchUp = false;
            this.#wantGapFill = false;
            this.#knownHead = Math.min(this.#knownHead, this.#delivered ?? 0);
          }
        } else {
          this.#wantGapFill = false;
        }
        if (this.#behind() && !this.#wantCatchUp) this.#armHold();
      }
    } finally {
      this.#fetching = false;
    }
  }
}
