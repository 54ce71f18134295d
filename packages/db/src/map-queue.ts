/**
 * Runs tasks with at most `limit` at once per key (a map id), the rest waiting in arrival order.
 * The commits of one map take turns on the map's row lock anyway; holding more than a couple of pool
 * connections for them only takes connections from other maps and makes the waiters time out.
 */
export class MapQueue {
  readonly #limit: number;
  readonly #lanes = new Map<string, { running: number; waiting: (() => void)[] }>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = { running: 0, waiting: [] };
      this.#lanes.set(key, lane);
    }
    if (lane.running >= this.#limit) {
      await new Promise<void>((resolve) => lane?.waiting.push(resolve));
    } else {
      lane.running++;
    }
    try {
      return await task();
    } finally {
      const next = lane.waiting.shift();
      // The slot passes straight to the next waiter; an idle lane is forgotten.
      if (next) next();
      else if (--lane.running === 0) this.#lanes.delete(key);
    }
  }

  /** Tasks running or waiting for `key`. */
  size(key: string): number {
    const lane = this.#lanes.get(key);
    return lane ? lane.running + lane.waiting.length : 0;
  }
}
