/**
 * Audience mode: the people on a map who are not listed (view-only, or editors who have not
 * moved a cursor or edited yet) are counted, not announced. A join or leave of one of them costs
 * the others nothing but, at most once per AUDIENCE_FLUSH_MS, one conflated count: each node
 * publishes its own count on the bus (and repeats it in heartbeats), and tells its members the
 * total of every node's.
 */
export const AUDIENCE_FLUSH_MS = 1000;

export interface AudienceDeps {
  now(): number;
  /** Tell peer nodes this node's count. */
  publishLocal(watching: number): void;
  /** Tell this node's members the map's total. */
  announceTotal(watching: number): void;
  /** The person ids listed on the map (all nodes): their idle tabs are not "watching". */
  listedPeople(): ReadonlySet<string>;
  flushMs?: number;
}

interface PeerCount {
  watching: number;
  lastSeenMs: number;
}

export class Audience {
  readonly #deps: AudienceDeps;
  /** Unlisted local tabs per person (a person watching in two tabs counts once). */
  readonly #local = new Map<string, number>();
  readonly #peers = new Map<string, PeerCount>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #flushedAtMs = Number.NEGATIVE_INFINITY;
  #publishedLocal = 0;
  #announcedTotal = 0;
  #closed = false;

  constructor(deps: AudienceDeps) {
    this.#deps = deps;
  }

  /** This node's count: local watchers not listed anywhere, one per person. */
  get localCount(): number {
    const listed = this.#deps.listedPeople();
    let count = 0;
    for (const personId of this.#local.keys()) if (!listed.has(personId)) count++;
    return count;
  }

  /** The map's total as of the last announcement. */
  get total(): number {
    return this.#announcedTotal;
  }

  /** The total right now (the next announcement's, if it changed). */
  currentTotal(): number {
    let total = this.localCount;
    for (const peer of this.#peers.values()) total += peer.watching;
    return total;
  }

  add(personId: string): void {
    this.#local.set(personId, (this.#local.get(personId) ?? 0) + 1);
    this.changed();
  }

  remove(personId: string): void {
    const tabs = this.#local.get(personId);
    if (tabs === undefined) return;
    if (tabs <= 1) this.#local.delete(personId);
    else this.#local.set(personId, tabs - 1);
    this.changed();
  }

  /** A peer's count (from its audience message or heartbeat). */
  setPeer(nodeId: string, watching: number): void {
    const peer = this.#peers.get(nodeId);
    const now = this.#deps.now();
    if (peer) peer.lastSeenMs = now;
    else this.#peers.set(nodeId, { watching, lastSeenMs: now });
    if (peer?.watching === watching) return;
    if (peer) peer.watching = watching;
    this.changed();
  }

  /** Forget peers not heard from since `cutoffMs` (dead nodes take their audience with them). */
  expire(cutoffMs: number): void {
    for (const [nodeId, peer] of this.#peers) {
      if (peer.lastSeenMs >= cutoffMs) continue;
      this.#peers.delete(nodeId);
      this.changed();
    }
  }

  /** Something counted may have changed: flush now if the last flush is old enough, else when it is. */
  changed(): void {
    if (this.#timer || this.#closed) return;
    const flushMs = this.#deps.flushMs ?? AUDIENCE_FLUSH_MS;
    const waitMs = Math.max(0, this.#flushedAtMs + flushMs - this.#deps.now());
    // Even "now" waits for the end of the tick, so a burst of joins makes one message.
    this.#timer = setTimeout(() => this.#flush(), waitMs);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #flush(): void {
    this.#timer = null;
    if (this.#closed) return;
    this.#flushedAtMs = this.#deps.now();
    const local = this.localCount;
    if (local !== this.#publishedLocal) {
      this.#publishedLocal = local;
      this.#deps.publishLocal(local);
    }
    const total = this.currentTotal();
    if (total !== this.#announcedTotal) {
      this.#announcedTotal = total;
      this.#deps.announceTotal(total);
    }
  }
}
