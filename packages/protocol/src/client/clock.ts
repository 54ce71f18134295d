/** Time and randomness, injected so that the client's logic is tested without real timers. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** In [0, 1), for backoff jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
};

/** One timer slot: at most one pending callback, replaced or cancelled as a unit. */
export class Timer {
  readonly #clock: Clock;
  #handle: unknown = null;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get pending(): boolean {
    return this.#handle !== null;
  }

  /** Run `callback` after `ms`, cancelling whatever this slot held. */
  start(ms: number, callback: () => void): void {
    this.cancel();
    this.#handle = this.#clock.setTimeout(() => {
      this.#handle = null;
      callback();
    }, ms);
  }

  cancel(): void {
    if (this.#handle !== null) this.#clock.clearTimeout(this.#handle);
    this.#handle = null;
  }
}
