/**
 * A token bucket: `capacity` tokens, refilled continuously at `refillPerS`. Used per connection
 * for the message rate limit and for the budgets of over-limit and invalid messages.
 *
 * The limits are shared; each connection keeps one number per bucket, the time at which its
 * bucket is full again (the "virtual scheduling" form of the generic cell rate algorithm, exactly
 * equivalent to counting tokens). A node holds tens of thousands of idle connections, so what each
 * one keeps is counted in bytes.
 */
export class TokenBucket {
  /** Time one token takes to refill. */
  readonly #tokenMs: number;
  /** How far ahead of now `fullAtMs` may be while a token is still left. */
  readonly #slackMs: number;

  constructor(capacity: number, refillPerS: number) {
    this.#tokenMs = 1000 / refillPerS;
    this.#slackMs = (capacity - 1) * this.#tokenMs;
  }

  /** The state of a full bucket. */
  static readonly FULL = 0;

  /**
   * Take one token from a bucket whose state is `fullAtMs`: the new state, or null when the
   * bucket is empty (the state is then unchanged).
   */
  take(fullAtMs: number, nowMs: number): number | null {
    const from = Math.max(fullAtMs, nowMs);
    if (from - nowMs > this.#slackMs) return null;
    return from + this.#tokenMs;
  }
}
