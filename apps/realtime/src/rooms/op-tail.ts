import type { OpRecord } from '@meridian/protocol';

export interface OpTailLimits {
  /** Most records kept (0: none). */
  maxOps: number;
  /** Most bytes kept, counted as the JSON length of each op. */
  maxBytes: number;
}

/** Bytes a record is counted for beyond its op's JSON (ids, seq, time, array slot). */
const RECORD_OVERHEAD_BYTES = 96;

/** A record's size as sent, about: its op's JSON plus RECORD_OVERHEAD_BYTES. */
export function recordBytes(record: OpRecord): number {
  return JSON.stringify(record.op).length + RECORD_OVERHEAD_BYTES;
}

/**
 * How many of `records`, from the first, fit in `budgetBytes` (at least one, so a record bigger
 * than the budget still goes, alone), and how many bytes all of them are.
 */
export function splitByBytes(
  records: readonly OpRecord[],
  budgetBytes: number,
): { count: number; totalBytes: number } {
  let count = 0;
  let totalBytes = 0;
  let full = false;
  for (const record of records) {
    totalBytes += recordBytes(record);
    if (full) continue;
    if (count > 0 && totalBytes > budgetBytes) full = true;
    else count += 1;
  }
  return { count, totalBytes };
}

/**
 * The most recent committed ops of one map on this node, in seq order without holes, bounded by
 * count and by bytes. `sync` and resume-by-replay are answered from here, so the common case (a
 * client a few ops behind) never reaches storage, and many clients asking for the same range
 * cost one read at most.
 */
export class OpTail {
  readonly #limits: OpTailLimits;
  #records: OpRecord[] = [];
  #sizes: number[] = [];
  #bytes = 0;
  /** The seq the next appended record must have; null until `reset`. */
  #nextSeq: number | null = null;

  constructor(limits: OpTailLimits) {
    this.#limits = limits;
  }

  /** Seq of the oldest record held (when empty: the seq the next record will have). */
  get firstSeq(): number | null {
    return this.#nextSeq === null ? null : this.#nextSeq - this.#records.length;
  }

  /** Seq of the newest record held, or of the base it started from. */
  get lastSeq(): number | null {
    return this.#nextSeq === null ? null : this.#nextSeq - 1;
  }

  get size(): number {
    return this.#records.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Start empty at `seq`: the next record appended is `seq + 1`. */
  reset(seq: number): void {
    this.#records = [];
    this.#sizes = [];
    this.#bytes = 0;
    this.#nextSeq = seq + 1;
  }

  /** The next record in seq order; the oldest ones go when a bound is passed. */
  append(record: OpRecord): void {
    if (this.#nextSeq !== null && record.seq < this.#nextSeq) return;
    // A hole (never expected: delivery is gap-free) starts the tail again rather than lie.
    if (this.#nextSeq !== record.seq) this.reset(record.seq - 1);
    this.#nextSeq = record.seq + 1;
    const size = recordBytes(record);
    this.#records.push(record);
    this.#sizes.push(size);
    this.#bytes += size;
    while (
      this.#records.length > 0 &&
      (this.#records.length > this.#limits.maxOps || this.#bytes > this.#limits.maxBytes)
    ) {
      this.#records.shift();
      this.#bytes -= this.#sizes.shift() ?? 0;
    }
  }

  /**
   * Older records (read from storage) that end just before the oldest one held: kept, newest
   * first, while the bounds allow. Records that do not join up are ignored.
   */
  prepend(records: readonly OpRecord[]): void {
    for (let i = records.length - 1; i >= 0; i--) {
      const record = records[i] as OpRecord;
      const first = this.firstSeq;
      if (first === null || record.seq !== first - 1) return;
      const size = recordBytes(record);
      if (this.#records.length + 1 > this.#limits.maxOps || this.#bytes + size > this.#limits.maxBytes)
        return;
      this.#records.unshift(record);
      this.#sizes.unshift(size);
      this.#bytes += size;
    }
  }

  /** How many more records the count bound allows. */
  get room(): number {
    return Math.max(0, this.#limits.maxOps - this.#records.length);
  }

  /** The records with `fromSeq <= seq <= toSeq` when the tail holds every one of them; null otherwise. */
  range(fromSeq: number, toSeq: number): OpRecord[] | null {
    const first = this.firstSeq;
    const last = this.lastSeq;
    if (first === null || last === null || fromSeq < first || toSeq > last) return null;
    if (toSeq < fromSeq) return [];
    return this.#records.slice(fromSeq - first, toSeq - first + 1);
  }
}
