/**
 * A token bucket: `capacity` tokens, refilled continuously at `refillPerS`. Used per connection
 * for the message rate limit and for the budgets of over-limit and invalid messages.
 */
export class TokenBucket {
  readonly #capacity: number;
  readonly #refillPerMs: number;
  #tokens: number;
  #updatedAtMs: number;

  constructor(capacity: number, refillPerS: number, nowMs: number) {
    this.#capacity = capacity;
    this.#refillPerMs = refillPerS / 1000;
    this.#tokens = capacity;
    this.#updatedAtMs = nowMs;
  }

  /** Take one token if there is one. */
  take(nowMs: number): boolean {
    const elapsedMs = Math.max(0, nowMs - this.#updatedAtMs);
    this.#tokens = Math.min(this.#capacity, this.#tokens + elapsedMs * this.#refillPerMs);
    this.#updatedAtMs = nowMs;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
