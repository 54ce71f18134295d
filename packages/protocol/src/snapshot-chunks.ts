import type { Feature } from './geo.ts';
import { LIMITS } from './limits.ts';

/**
 * The `snapshotChunk` frames of one map's snapshot at one seq, encoded on demand and kept, so
 * every joiner of that (map, seq) is sent the same strings: the features are encoded once,
 * however many sockets join. Encoding runs ahead only as far as the fastest joiner has asked, so
 * the first chunk goes out without waiting for 100,000 features to be stringified, and the work
 * is spread over the stream instead of blocking the event loop in one piece.
 *
 * Each frame is exactly `encodeMessage` of a `snapshotChunk` (same keys, same order): it is built
 * by concatenation only to avoid stringifying every feature twice.
 */
export class SnapshotChunkEncoder {
  readonly featureCount: number;
  readonly #features: readonly Feature[];
  readonly #head: string;
  readonly #maxBytes: number;
  readonly #texts: string[] = [];
  #nextFeature = 0;
  #bytes = 0;

  constructor(
    mapId: string,
    seq: number,
    features: readonly Feature[],
    maxBytes: number = LIMITS.SNAPSHOT_CHUNK_BYTES,
  ) {
    this.#features = features;
    this.featureCount = features.length;
    this.#maxBytes = maxBytes;
    this.#head = `{"type":"snapshotChunk","mapId":${JSON.stringify(mapId)},"seq":${seq},"index":`;
  }

  /** Whether every feature is in a chunk already. */
  get complete(): boolean {
    return this.#nextFeature >= this.#features.length;
  }

  /** Chunks encoded so far (all of them once `complete`). */
  get encodedCount(): number {
    return this.#texts.length;
  }

  /** Characters encoded so far (UTF-16 units: the byte count for ASCII text). */
  get encodedChars(): number {
    return this.#bytes;
  }

  /**
   * The frame of chunk `index`, encoding up to it if needed; null past the last chunk. A map
   * with no features has no chunk.
   */
  chunk(index: number): string | null {
    while (this.#texts.length <= index && !this.complete) this.#encodeNext();
    return this.#texts[index] ?? null;
  }

  /** Whether the whole snapshot fits in one chunk (then a plain `snapshot` message is sent instead). */
  fitsOneChunk(): boolean {
    this.chunk(1);
    return this.complete && this.#texts.length <= 1;
  }

  #encodeNext(): void {
    const parts: string[] = [];
    let chars = 0;
    const features = this.#features;
    // At least one feature per chunk: a feature is never split.
    while (this.#nextFeature < features.length && (parts.length === 0 || chars < this.#maxBytes)) {
      const text = JSON.stringify(features[this.#nextFeature]);
      if (parts.length > 0 && chars + text.length + 1 > this.#maxBytes) break;
      parts.push(text);
      chars += text.length + 1;
      this.#nextFeature++;
    }
    const text = `${this.#head}${this.#texts.length},"features":[${parts.join(',')}]}`;
    this.#bytes += text.length;
    this.#texts.push(text);
  }
}
