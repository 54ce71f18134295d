/**
 * Hands the items submitted for one key (a map id) to `work` in batches, one batch of a key at a
 * time, in arrival order: an item that finds its key idle waits for the end of the event loop's
 * current turn (setImmediate), so the items submitted in the same turn (the messages of one socket
 * read, the writers woken by the previous batch's answers) go with it; the items that arrive while
 * a batch runs go together in the next one (at most `maxBatch` a batch). Keys do not wait for each
 * other.
 */
export class MapBatcher<Item, Result> {
  readonly #work: (key: string, items: Item[]) => Promise<Result[]>;
  readonly #maxBatch: number;
  readonly #lanes = new Map<string, Waiting<Item, Result>[]>();

  constructor(work: (key: string, items: Item[]) => Promise<Result[]>, maxBatch: number) {
    this.#work = work;
    this.#maxBatch = maxBatch;
  }

  submit(key: string, item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      const lane = this.#lanes.get(key);
      if (lane) {
        lane.push({ item, resolve, reject });
        return;
      }
      const waiting = [{ item, resolve, reject }];
      this.#lanes.set(key, waiting);
      setImmediate(() => void this.#drain(key, waiting));
    });
  }

  /** Items submitted for `key` and not yet answered. */
  size(key: string): number {
    return this.#lanes.get(key)?.length ?? 0;
  }

  async #drain(key: string, waiting: Waiting<Item, Result>[]): Promise<void> {
    while (waiting.length > 0) {
      const batch = waiting.slice(0, this.#maxBatch);
      try {
        const results = await this.#work(
          key,
          batch.map((entry) => entry.item),
        );
        batch.forEach((entry, i) => {
          entry.resolve(results[i] as Result);
        });
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
      waiting.splice(0, batch.length);
    }
    this.#lanes.delete(key);
  }
}

interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}
