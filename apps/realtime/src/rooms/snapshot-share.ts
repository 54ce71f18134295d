import type { MapSnapshot } from '@meridian/db';
import { SnapshotChunkEncoder } from '@meridian/protocol';

/** How long a read snapshot stays available to later joins (it is only reused while it covers them). */
export const SNAPSHOT_REUSE_MS = 5_000;

interface Read {
  /** Reads are numbered in the order they start. */
  index: number;
  promise: Promise<MapSnapshot | null>;
}

/**
 * One map's snapshot reads, shared by the joins that need one at about the same time. A reconnect
 * storm (a deploy, a network blip) joins hundreds of sockets to the same map within a second; one
 * read each is a database transaction per socket and, through Prisma, ~200 KB of garbage each,
 * which is what grew the heap (and RSS) of a node filling up with connections.
 *
 * A joiner needs a snapshot that holds every op the room had delivered when it became a joiner
 * (`coverSeq`): ops delivered after that are buffered for it (Room.join). A read that starts
 * after that moment always holds them; an earlier read, in flight or done, does when its seq is
 * at least `coverSeq`. Shared snapshots are never mutated: joins only encode them.
 */
export class SnapshotShare {
  readonly #read: () => Promise<MapSnapshot | null>;
  #reads = 0;
  #pending: Read | null = null;
  #latest: MapSnapshot | null = null;
  #release: ReturnType<typeof setTimeout> | null = null;
  /** Each snapshot's chunk frames, encoded once for every joiner it is streamed to. */
  readonly #encoders = new WeakMap<MapSnapshot, SnapshotChunkEncoder>();
  /** Streams under way per snapshot: a snapshot being streamed is kept (it is in memory anyway). */
  readonly #streams = new Map<MapSnapshot, number>();

  constructor(read: () => Promise<MapSnapshot | null>) {
    this.#read = read;
  }

  /** A snapshot holding at least every op up to `coverSeq`; null when the map does not exist. */
  async get(coverSeq: number): Promise<MapSnapshot | null> {
    const startedBefore = this.#reads;
    for (;;) {
      const latest = this.#latest;
      if (latest && latest.seq >= coverSeq) return latest;
      const pending = this.#pending;
      if (!pending) return this.#start().promise;
      // Started after this call began, so after the caller became a joiner: it covers.
      if (pending.index > startedBefore) return pending.promise;
      const snapshot = await pending.promise;
      if (snapshot === null || snapshot.seq >= coverSeq) return snapshot;
    }
  }

  /** The chunk frames of a snapshot this share handed out, shared by all its joiners. */
  chunksOf(mapId: string, snapshot: MapSnapshot): SnapshotChunkEncoder {
    let encoder = this.#encoders.get(snapshot);
    if (!encoder) {
      encoder = new SnapshotChunkEncoder(mapId, snapshot.seq, snapshot.features);
      this.#encoders.set(snapshot, encoder);
    }
    return encoder;
  }

  /** A streamed snapshot began: it stays available to later joins while any stream of it lasts. */
  streamStarted(snapshot: MapSnapshot): void {
    this.#streams.set(snapshot, (this.#streams.get(snapshot) ?? 0) + 1);
  }

  /**
   * A stream of it ended (sent, or its joiner left): once none is left, it is kept another
   * SNAPSHOT_REUSE_MS. A big map's stream outlasts that delay, and without this every joiner
   * arriving during a long stream would read 100,000 rows again.
   */
  streamEnded(snapshot: MapSnapshot): void {
    const left = (this.#streams.get(snapshot) ?? 0) - 1;
    if (left > 0) {
      this.#streams.set(snapshot, left);
      return;
    }
    this.#streams.delete(snapshot);
    if (this.#latest === snapshot) this.#armRelease();
  }

  /** Let go of the kept snapshot (the room closed). */
  clear(): void {
    this.#latest = null;
    this.#streams.clear();
    if (this.#release) clearTimeout(this.#release);
    this.#release = null;
  }

  #start(): Read {
    const index = ++this.#reads;
    const read: Read = {
      index,
      promise: this.#read().then(
        (snapshot) => {
          if (this.#pending === read) this.#pending = null;
          if (snapshot) this.#keep(snapshot);
          return snapshot;
        },
        (error: unknown) => {
          if (this.#pending === read) this.#pending = null;
          throw error;
        },
      ),
    };
    this.#pending = read;
    return read;
  }

  #keep(snapshot: MapSnapshot): void {
    if (this.#latest && this.#latest.seq > snapshot.seq) return;
    this.#latest = snapshot;
    this.#armRelease();
  }

  #armRelease(): void {
    if (this.#release) clearTimeout(this.#release);
    // Only for memory: whether a kept snapshot may be reused is decided by its seq alone.
    this.#release = setTimeout(() => {
      this.#release = null;
      // Still being streamed: kept, and released SNAPSHOT_REUSE_MS after its last stream ends.
      if (this.#latest && this.#streams.has(this.#latest)) return;
      this.#latest = null;
    }, SNAPSHOT_REUSE_MS);
    this.#release.unref();
  }
}
