import type { Feature } from './geo.ts';
import { LIMITS } from './limits.ts';

/**
 * The `snapshotChunk` frames of one map's snapshot at one seq, packed from features that are
 * already JSON text (each the text of one `Feature`) as they come, for instance page by page from
 * the database: a frame is sealed once the next feature would take it past `maxBytes` (or at the
 * end), so the first frames can be sent while later features are still being read. Every joiner of
 * that (map, seq) is sent the same strings.
 *
 * Each frame is exactly `encodeMessage` of a `snapshotChunk` (same keys, same order) for features
 * encoded as given: built by concatenation, without parsing or stringifying a feature.
 */
export class SnapshotChunkFrames {
  readonly #head: string;
  readonly #maxBytes: number;
  readonly #frames: string[] = [];
  /** Features of the frame being filled. */
  #parts: string[] = [];
  #partChars = 0;
  #featureCount = 0;
  #chars = 0;
  #ended = false;

  constructor(mapId: string, seq: number, maxBytes: number = LIMITS.SNAPSHOT_CHUNK_BYTES) {
    this.#maxBytes = maxBytes;
    this.#head = `{"type":"snapshotChunk","mapId":${JSON.stringify(mapId)},"seq":${seq},"index":`;
  }

  /** Adds features (each one's JSON text) after those added before. */
  append(featureTexts: readonly string[]): void {
    if (this.#ended) throw new Error('snapshot chunks: append after end');
    for (const text of featureTexts) {
      // At least one feature per frame: a feature is never split.
      if (this.#parts.length > 0 && this.#partChars + text.length + 1 > this.#maxBytes) this.#seal();
      this.#parts.push(text);
      this.#partChars += text.length + 1;
    }
    this.#featureCount += featureTexts.length;
  }

  /** No feature follows: the last frame is sealed. */
  end(): void {
    if (this.#ended) return;
    if (this.#parts.length > 0) this.#seal();
    this.#ended = true;
  }

  /** Whether `end` was called: then `count` is the number of frames. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Frames sealed so far. */
  get count(): number {
    return this.#frames.length;
  }

  /** Features appended so far. */
  get featureCount(): number {
    return this.#featureCount;
  }

  /** Characters in the sealed frames (UTF-16 units: the byte count for ASCII text). */
  get chars(): number {
    return this.#chars;
  }

  /** Frame `index` once it is sealed; null before (or past the last one once ended). */
  chunk(index: number): string | null {
    return this.#frames[index] ?? null;
  }

  #seal(): void {
    const text = `${this.#head}${this.#frames.length},"features":[${this.#parts.join(',')}]}`;
    this.#chars += text.length;
    this.#frames.push(text);
    this.#parts = [];
    this.#partChars = 0;
  }
}

/**
 * The `snapshotChunk` frames of a snapshot held as `Feature` objects, encoded on demand and kept:
 * encoding runs ahead only as far as the fastest joiner has asked, so the first chunk goes out
 * without waiting for 100,000 features to be stringified, and the work is spread over the stream
 * instead of blocking the event loop in one piece.
 */
export class SnapshotChunkEncoder {
  readonly featureCount: number;
  readonly #features: readonly Feature[];
  readonly #frames: SnapshotChunkFrames;
  #nextFeature = 0;

  constructor(
    mapId: string,
    seq: number,
    features: readonly Feature[],
    maxBytes: number = LIMITS.SNAPSHOT_CHUNK_BYTES,
  ) {
    this.#features = features;
    this.featureCount = features.length;
    this.#frames = new SnapshotChunkFrames(mapId, seq, maxBytes);
    if (features.length === 0) this.#frames.end();
  }

  /** Whether every feature is in a chunk already. */
  get complete(): boolean {
    return this.#frames.ended;
  }

  /** Chunks encoded so far (all of them once `complete`). */
  get encodedCount(): number {
    return this.#frames.count;
  }

  /** Characters encoded so far (UTF-16 units: the byte count for ASCII text). */
  get encodedChars(): number {
    return this.#frames.chars;
  }

  /**
   * The frame of chunk `index`, encoding up to it if needed; null past the last chunk. A map
   * with no features has no chunk.
   */
  chunk(index: number): string | null {
    while (this.#frames.count <= index && !this.complete) this.#encodeNext();
    return this.#frames.chunk(index);
  }

  /** Whether the whole snapshot fits in one chunk (then a plain `snapshot` message is sent instead). */
  fitsOneChunk(): boolean {
    this.chunk(1);
    return this.complete && this.#frames.count <= 1;
  }

  /** Encodes features until one more frame is sealed, or all of them are in. */
  #encodeNext(): void {
    const frames = this.#frames;
    const sealed = frames.count;
    const features = this.#features;
    while (frames.count === sealed && this.#nextFeature < features.length) {
      frames.append([JSON.stringify(features[this.#nextFeature])]);
      this.#nextFeature++;
    }
    if (this.#nextFeature >= features.length) frames.end();
  }
}
