/**
 * A log-linear latency histogram in microseconds (the HdrHistogram layout with 32
 * sub-buckets per power of two: every recorded value is kept within ~3 %). Counts are a
 * plain array so worker processes can send them over IPC and the coordinator can add them.
 */

const SUB_BUCKET_BITS = 5;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
/** Values at or above this are clamped (about 35 minutes in µs). */
const MAX_VALUE_US = 2 ** 31 - 1;
const BUCKETS = (31 - SUB_BUCKET_BITS + 2) * SUB_BUCKETS;

export function bucketOf(valueUs: number): number {
  const v = Math.min(MAX_VALUE_US, Math.max(0, Math.round(valueUs)));
  if (v < 2 * SUB_BUCKETS) return v;
  const shift = 31 - Math.clz32(v) - SUB_BUCKET_BITS;
  return shift * SUB_BUCKETS + (v >>> shift);
}

/** The middle of a bucket's value range, in µs. */
export function bucketValueUs(bucket: number): number {
  if (bucket < 2 * SUB_BUCKETS) return bucket;
  const shift = Math.floor(bucket / SUB_BUCKETS) - 1;
  const low = (bucket - shift * SUB_BUCKETS) * 2 ** shift;
  return low + (2 ** shift - 1) / 2;
}

/** What travels between processes. */
export interface HistogramSnapshot {
  counts: number[];
  maxUs: number;
}

export class LatencyHistogram {
  readonly counts: number[];
  total = 0;
  maxUs = 0;

  constructor(snapshot?: HistogramSnapshot) {
    this.counts = snapshot ? [...snapshot.counts] : new Array<number>(BUCKETS).fill(0);
    for (const c of this.counts) this.total += c;
    this.maxUs = snapshot?.maxUs ?? 0;
  }

  snapshot(): HistogramSnapshot {
    return { counts: [...this.counts], maxUs: this.maxUs };
  }

  record(valueUs: number): void {
    const bucket = bucketOf(valueUs);
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.total++;
    if (valueUs > this.maxUs) this.maxUs = valueUs;
  }

  add(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.total += other.total;
    this.maxUs = Math.max(this.maxUs, other.maxUs);
  }

  /** The value at quantile q (0..1), in µs; NaN when nothing was recorded. */
  quantileUs(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(bucketValueUs(i), this.maxUs);
    }
    return this.maxUs;
  }
}
