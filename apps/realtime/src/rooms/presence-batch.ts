import type { PresenceEntry } from '@meridian/protocol';
import type { Clock } from '../clock.ts';

export interface PresenceBatchOptions {
  /** PRESENCE_BATCH_MS: a map's node sends its local presence at most once per this interval. */
  intervalMs: number;
  clock: Clock;
  /** Sends one batch: every sender's latest entry, in the order of their first change since the last batch. */
  flush(entries: PresenceEntry[]): void;
  /** A flush that threw (from the timer): reported, and the batcher goes on. */
  onError(error: unknown): void;
}

/**
 * How a node frames its local clients' presence for one map: every change since the last batch,
 * conflated per sender (latest wins), goes out as one `presenceBatch` frame, encoded once for all
 * receivers (and once more for the bus). So a receiver reads one frame per interval from this node
 * however many people move, instead of one frame per change.
 *
 * No delay when presence is quiet: a change after a whole interval without a batch goes out at
 * once (a batch of one); changes within the interval wait for its end. A sender's departure drops
 * what is held for it, so its `presenceLeft` is never followed by a stale entry that would bring
 * it back.
 */
export class PresenceBatcher {
  readonly #options: PresenceBatchOptions;
  readonly #pending = new Map<string, PresenceEntry>();
  #flushedAtMs = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(options: PresenceBatchOptions) {
    this.#options = options;
  }

  /** A sender's presence to send: now when no batch went out within the interval, else with the next batch. */
  add(entry: PresenceEntry): void {
    if (this.#closed) return;
    this.#pending.set(entry.clientId, entry);
    if (this.#timer) return;
    const { clock, intervalMs } = this.#options;
    const now = clock.now();
    const dueAtMs = this.#flushedAtMs + intervalMs;
    if (now >= dueAtMs) this.#flush(now);
    else this.#timer = setTimeout(() => this.#onTimer(), dueAtMs - now);
  }

  /** The client left: what is held for it is not sent. */
  drop(clientId: string): void {
    this.#pending.delete(clientId);
  }

  /** Entries held for the next batch (for tests and metrics). */
  get pending(): number {
    return this.#pending.size;
  }

  close(): void {
    this.#closed = true;
    this.#pending.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #onTimer(): void {
    this.#timer = null;
    if (this.#closed) return;
    try {
      this.#flush(this.#options.clock.now());
    } catch (error) {
      this.#options.onError(error);
    }
  }

  #flush(nowMs: number): void {
    if (this.#pending.size === 0) return;
    const entries = [...this.#pending.values()];
    this.#pending.clear();
    this.#flushedAtMs = nowMs;
    this.#options.flush(entries);
  }
}
