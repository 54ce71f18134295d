/**
 * Per-sender pacing of presence (cursor, viewport, follow): at most one message per sender per
 * `intervalMs`, with no added delay when a sender is quiet.
 *
 * A change from a sender that was not sent within the last interval goes out at once (leading
 * edge). Changes that arrive within the interval are held, and only the latest state is sent when
 * the interval ends (trailing edge, latest wins). So a single cursor move is delivered immediately,
 * while a cursor storm is still conflated to one message per sender per interval.
 *
 * Pure bookkeeping over the times it is given: the room owns the timer and reads the state to send.
 */
export class PresenceThrottle<K> {
  readonly #intervalMs: number;
  /** When each sender's presence was last sent (entries older than the interval are pruned). */
  readonly #sentAtMs = new Map<K, number>();
  /** Senders with a held change, and when their interval ends. */
  readonly #dueAtMs = new Map<K, number>();

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /**
   * A sender's presence changed at `nowMs`. True: send it now (the sender counts as sent now).
   * False: it is held (or was already held) until the sender's interval ends; see `takeDue`.
   */
  offer(key: K, nowMs: number): boolean {
    if (this.#dueAtMs.has(key)) return false;
    const sentAtMs = this.#sentAtMs.get(key);
    if (sentAtMs === undefined || nowMs - sentAtMs >= this.#intervalMs) {
      this.#sentAtMs.set(key, nowMs);
      return true;
    }
    this.#dueAtMs.set(key, sentAtMs + this.#intervalMs);
    return false;
  }

  /** The senders whose held change is due at `nowMs`; each counts as sent now. */
  takeDue(nowMs: number): K[] {
    const due: K[] = [];
    for (const [key, dueAtMs] of this.#dueAtMs) {
      if (dueAtMs > nowMs) continue;
      this.#dueAtMs.delete(key);
      this.#sentAtMs.set(key, nowMs);
      due.push(key);
    }
    // Senders quiet for a whole interval need no record: their next change goes out at once anyway.
    for (const [key, sentAtMs] of this.#sentAtMs) {
      if (nowMs - sentAtMs >= this.#intervalMs && !this.#dueAtMs.has(key)) this.#sentAtMs.delete(key);
    }
    return due;
  }

  /** When the earliest held change is due, or null when nothing is held. */
  nextDueMs(): number | null {
    let next: number | null = null;
    for (const dueAtMs of this.#dueAtMs.values()) if (next === null || dueAtMs < next) next = dueAtMs;
    return next;
  }

  /** The sender left: drop what is held for it and its pacing. */
  forget(key: K): void {
    this.#dueAtMs.delete(key);
    this.#sentAtMs.delete(key);
  }

  /** Senders with a record (held, or sent within the interval); for tests and metrics. */
  get tracked(): number {
    return this.#sentAtMs.size;
  }
}
