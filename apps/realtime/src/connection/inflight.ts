/** Op commits in progress, so a draining node finishes them before it closes the database. */
export class InflightCommits {
  readonly #pending = new Set<Promise<unknown>>();

  get size(): number {
    return this.#pending.size;
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.#pending.add(work);
    const forget = () => this.#pending.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Resolves when every commit started so far has settled, or after `timeoutMs`; true if all settled. */
  async settled(timeoutMs: number): Promise<boolean> {
    if (this.#pending.size === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, false);
    });
    const all = Promise.allSettled([...this.#pending]).then(() => true);
    const done = await Promise.race([all, timeout]);
    clearTimeout(timer);
    return done;
  }
}
