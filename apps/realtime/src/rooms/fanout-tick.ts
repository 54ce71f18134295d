import type { Clock } from '../clock.ts';

export interface FanoutTickOptions {
  /** FANOUT_TICK_MS: a map's frames reach its sockets at most once per this interval (0: each at once). */
  intervalMs: number;
  clock: Clock;
  /** A send that threw (from the timer): reported, and the tick goes on with the next ones. */
  onError(error: unknown): void;
}

/**
 * When a map's frames reach its sockets. uWS writes everything published to a socket within one
 * turn of the event loop as one send (its topic tree drains once per turn, whatever the topic), so
 * publishing a busy map's ops, presence batches and counts together, once per tick, costs the node
 * one write per viewer per tick instead of one per frame; each frame stays itself (encoded once,
 * published once per node) and they go out in the order they were given.
 *
 * A quiet map waits for nothing: a frame after a whole interval without a tick goes at once; the
 * frames within the interval wait for its end (at most FANOUT_TICK_MS).
 */
export class FanoutTick {
  readonly #options: FanoutTickOptions;
  #held: (() => void)[] = [];
  #sentAtMs = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(options: FanoutTickOptions) {
    this.#options = options;
  }

  /** Run `send` (a publish) now when the interval allows, else with the next tick, after those held before it. */
  add(send: () => void): void {
    if (this.#closed) return;
    this.#held.push(send);
    if (this.#timer) return;
    const now = this.#options.clock.now();
    const dueAtMs = this.#sentAtMs + this.#options.intervalMs;
    if (now >= dueAtMs) this.#tick(now);
    else this.#timer = setTimeout(() => this.#onTimer(), dueAtMs - now);
  }

  /** Sends waiting for the next tick. */
  get held(): number {
    return this.#held.length;
  }

  close(): void {
    this.#closed = true;
    this.#held = [];
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #onTimer(): void {
    this.#timer = null;
    if (!this.#closed) this.#tick(this.#options.clock.now());
  }

  /** Every held send, in order; one that throws is reported and does not keep the others back. */
  #tick(nowMs: number): void {
    const sends = this.#held;
    this.#held = [];
    this.#sentAtMs = nowMs;
    for (const send of sends) {
      try {
        send();
      } catch (error) {
        this.#options.onError(error);
      }
    }
  }
}
