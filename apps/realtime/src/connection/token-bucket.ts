/**
 * A token bucket: `capacity` tokens, refilled continuously at `refillPerS`. Used per connection
 * for the message rate limit (charged by weight: a large `sync` takes more tokens than a cursor
 * move) and for the budgets of over-limit and invalid messages.
 *
 * The limits are shared; each connection keeps one number per bucket, the time at which its
 * bucket is full again (the "virtual scheduling" form of the generic cell rate algorithm, exactly
 * equivalent to counting tokens). A node holds tens of thousands of idle connections, so what each
 * one keeps is counted in bytes.
 */
export class TokenBucket {
  readonly capacity: number;
  /** Time one token takes to refill. */
  readonly #tokenMs: number;

  constructor(capacity: number, refillPerS: number) {
    this.capacity = capacity;
    this.#tokenMs = 1000 / refillPerS;
  }

  /** The state of a full bucket. */
  static readonly FULL = 0;

  /**
   * Take `cost` tokens from a bucket whose state is `fullAtMs`: the new state, or null when the
   * bucket holds fewer (the state is then unchanged). A cost above the capacity is charged as the
   * whole capacity, so it is possible, once, from a full bucket.
   */
  take(fullAtMs: number, nowMs: number, cost = 1): number | null {
    if (this.waitMs(fullAtMs, nowMs, cost) > 0) return null;
    return Math.max(fullAtMs, nowMs) + this.#charged(cost) * this.#tokenMs;
  }

  /** How long until `cost` tokens are there (0: now). */
  waitMs(fullAtMs: number, nowMs: number, cost = 1): number {
    const owedMs = Math.max(fullAtMs, nowMs) - nowMs;
    const slackMs = (this.capacity - this.#charged(cost)) * this.#tokenMs;
    return Math.max(0, Math.ceil(owedMs - slackMs));
  }

  #charged(cost: number): number {
    return Math.min(Math.max(cost, 0), this.capacity);
  }
}
