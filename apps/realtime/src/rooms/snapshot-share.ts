import type { SnapshotHead, SnapshotPageSink } from '@meridian/db';
import { ErrorCode, MeridianError, SnapshotChunkFrames } from '@meridian/protocol';

/** How long a read snapshot stays available to later joins once nobody streams it (only reused while it covers them). */
export const SNAPSHOT_REUSE_MS = 5_000;

/** Reads a map's snapshot page by page into `sink`; false when the map does not exist (@meridian/db readSnapshotPages). */
export type SnapshotReader = (sink: SnapshotPageSink) => Promise<boolean>;

/** How a read ended: every page in, storage failed, or nobody wanted it any more (cancelled). */
export type SnapshotReadEnd = 'read' | 'failed' | 'abandoned';

/** Thrown into the reader by a read nobody wants any more: its transaction is rolled back. */
class ReadAbandoned extends Error {
  constructor() {
    super('snapshot read abandoned: no joiner wants it');
  }
}

/**
 * One read of a map's snapshot, shared by every joiner it covers: its head (seq, layers, feature
 * count) once read, then its chunk frames, sealed as the pages arrive and encoded once for all.
 */
export class SnapshotRead {
  /** Reads are numbered in the order they start. */
  readonly index: number;
  #head: SnapshotHead | null = null;
  #frames: SnapshotChunkFrames | null = null;
  #end: SnapshotReadEnd | 'missing' | null = null;
  #error: MeridianError | null = null;
  /** Joiners holding it (waiting for it or streaming it). */
  users = 0;
  #waiters: (() => void)[] = [];

  constructor(index: number) {
    this.index = index;
  }

  get head(): SnapshotHead | null {
    return this.#head;
  }

  /** Its frames; present once the head is known. */
  get frames(): SnapshotChunkFrames | null {
    return this.#frames;
  }

  /** Every page is in (the frames are ended). */
  get complete(): boolean {
    return this.#end === 'read';
  }

  /** Null while reading; then how it ended ('missing': the map does not exist). */
  get end(): SnapshotReadEnd | 'missing' | null {
    return this.#end;
  }

  /** The typed error its joiners are given once it failed; null otherwise. */
  failure(): MeridianError | null {
    return this.#error;
  }

  /** Resolves once `ready()` holds, checked on each step of the read (head, page, end). */
  until(ready: () => boolean): Promise<void> {
    if (ready() || this.#end !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (ready() || this.#end !== null) resolve();
        else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }

  setHead(head: SnapshotHead, mapId: string, maxChunkBytes?: number): void {
    this.#head = head;
    this.#frames = new SnapshotChunkFrames(mapId, head.seq, maxChunkBytes);
    this.#wake();
  }

  addPage(featureTexts: string[]): void {
    if (this.#end !== null) throw new ReadAbandoned();
    this.#frames?.append(featureTexts);
    this.#wake();
  }

  /** Its end, once: a read abandoned first stays abandoned whatever its reader then says. */
  finish(end: SnapshotReadEnd | 'missing', error: MeridianError | null = null): void {
    if (this.#end !== null) return;
    this.#end = end;
    this.#error = error;
    if (end === 'read') this.#frames?.end();
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const check of waiters) check();
  }
}

export interface SnapshotShareOptions {
  mapId: string;
  read: SnapshotReader;
  /** A read made progress (its head, a page, its end): the joiners streaming it may send more. */
  onProgress(read: SnapshotRead): void;
  /** A read ended (for the metrics). */
  onEnd?(end: SnapshotReadEnd): void;
  /** The size chunk frames are packed to (LIMITS.SNAPSHOT_CHUNK_BYTES by default). */
  maxChunkBytes?: number;
}

/**
 * One map's snapshot reads, shared by the joins that need one at about the same time or while one
 * is being read or streamed. A reconnect storm (a deploy, a network blip) joins hundreds of
 * sockets to the same map within a second: one read each would be a transaction and 100,000 rows
 * per socket.
 *
 * A joiner needs a snapshot that holds every op the room had delivered when it became a joiner
 * (`coverSeq`): ops delivered after that are buffered for it (Room.join). A read that starts after
 * that moment always holds them; an earlier one, in progress or done, does when its seq is at least
 * `coverSeq`. A read is kept while any joiner holds it and SNAPSHOT_REUSE_MS after the last lets go
 * once complete; a read every joiner left before it completed is cancelled.
 */
export class SnapshotShare {
  readonly #options: SnapshotShareOptions;
  #reads = 0;
  /** The newest read that did not fail: in progress, or complete and kept. */
  #current: SnapshotRead | null = null;
  #release: ReturnType<typeof setTimeout> | null = null;

  constructor(options: SnapshotShareOptions) {
    this.#options = options;
  }

  /**
   * A read whose head is known and holds at least every op up to `coverSeq`, held for the caller
   * until `release`. Throws MAP_NOT_FOUND, or STORAGE_UNAVAILABLE when the read fails before its head.
   */
  async acquire(coverSeq: number): Promise<SnapshotRead> {
    const startedBefore = this.#reads;
    for (;;) {
      const read = this.#current ?? this.#start();
      read.users++;
      this.#cancelRelease(read);
      await read.until(() => read.head !== null);
      if (read.end === 'missing') {
        this.release(read);
        throw new MeridianError(ErrorCode.MAP_NOT_FOUND, `no map ${this.#options.mapId}`);
      }
      const head = read.head;
      // Started after this call began (so after the caller became a joiner), or late enough: it covers.
      if (head && read.end !== 'failed' && (read.index > startedBefore || head.seq >= coverSeq)) return read;
      this.release(read);
      const failure = read.failure();
      if (failure) throw failure;
      if (read.end === 'abandoned')
        throw new MeridianError(ErrorCode.STORAGE_UNAVAILABLE, 'the snapshot read was cancelled');
      if (this.#current === read) this.#current = null;
    }
  }

  /** A joiner is done with `read` (streamed, sent, left, or failed). */
  release(read: SnapshotRead): void {
    read.users--;
    if (read.users > 0) return;
    if (read.end === null) {
      // Nobody wants it any more: cancelled at its next page (its transaction is rolled back).
      read.finish('abandoned');
      if (this.#current === read) this.#current = null;
    } else if (this.#current === read) {
      this.#armRelease(read);
    }
  }

  /** Let go of everything (the room closed): a read in progress is cancelled. */
  clear(): void {
    const current = this.#current;
    this.#current = null;
    if (current && current.end === null) current.finish('abandoned');
    if (this.#release) clearTimeout(this.#release);
    this.#release = null;
  }

  #start(): SnapshotRead {
    const { mapId, maxChunkBytes } = this.#options;
    const read = new SnapshotRead(++this.#reads);
    this.#current = read;
    const progress = () => this.#options.onProgress(read);
    this.#options
      .read({
        head: (head) => {
          if (read.end !== null) throw new ReadAbandoned();
          read.setHead(head, mapId, maxChunkBytes);
          progress();
        },
        page: (texts) => {
          read.addPage(texts);
          progress();
        },
      })
      .then(
        (found) => {
          read.finish(found ? 'read' : 'missing');
          if (!found && this.#current === read) this.#current = null;
          this.#ended(read);
          progress();
        },
        (error: unknown) => {
          const typed =
            error instanceof MeridianError
              ? error
              : new MeridianError(ErrorCode.STORAGE_UNAVAILABLE, `reading a snapshot: ${String(error)}`);
          read.finish('failed', typed);
          if (this.#current === read) this.#current = null;
          this.#ended(read);
          progress();
        },
      );
    return read;
  }

  #ended(read: SnapshotRead): void {
    const end = read.end;
    if (end && end !== 'missing') this.#options.onEnd?.(end);
    if (end === 'read' && read.users === 0 && this.#current === read) this.#armRelease(read);
  }

  #cancelRelease(read: SnapshotRead): void {
    if (this.#release && this.#current === read) {
      clearTimeout(this.#release);
      this.#release = null;
    }
  }

  #armRelease(read: SnapshotRead): void {
    if (this.#release) clearTimeout(this.#release);
    // Only for memory: whether a kept read may be reused is decided by its seq alone.
    this.#release = setTimeout(() => {
      this.#release = null;
      if (this.#current === read && read.users === 0) this.#current = null;
    }, SNAPSHOT_REUSE_MS);
    this.#release.unref();
  }
}
