/** A running count of messages and their bytes. */
export interface Tally {
  messages: number;
  bytes: number;
}

const zero = (): Tally => ({ messages: 0, bytes: 0 });

/**
 * One connection's traffic counters for operators (GET /admin/connections).
 *
 * Fan-out goes through uWS topics, where JS never sees the individual receivers, so outgoing
 * published traffic is counted per topic (TopicLedger) and a connection reads the difference
 * between the topic's tally now and when it subscribed: O(1) per publish, whatever the fan-out.
 */
export class ConnectionStats {
  readonly openedAtMs: number;
  readonly in: Tally = zero();
  /** Messages sent to this connection alone. */
  readonly direct: Tally = zero();
  /** Published traffic of topics it has left, settled at unsubscribe. */
  readonly #settled: Tally = zero();
  /** Publishes this connection originated and so did not receive (uWS skips the sender). */
  readonly #skipped: Tally = zero();
  /** Topic tallies as they stood when this connection subscribed. */
  readonly #baselines = new Map<string, { tally: Tally; at: Tally }>();
  volatileDropped = 0;
  /** Whether permessage-deflate was negotiated on this connection. */
  deflate = false;

  constructor(openedAtMs: number) {
    this.openedAtMs = openedAtMs;
  }

  received(bytes: number): void {
    this.in.messages++;
    this.in.bytes += bytes;
  }

  sent(bytes: number): void {
    this.direct.messages++;
    this.direct.bytes += bytes;
  }

  isOn(topic: string): boolean {
    return this.#baselines.has(topic);
  }

  joined(topic: string, tally: Tally): void {
    if (!this.#baselines.has(topic)) this.#baselines.set(topic, { tally, at: { ...tally } });
  }

  left(topic: string): void {
    const baseline = this.#baselines.get(topic);
    if (!baseline) return;
    this.#settled.messages += baseline.tally.messages - baseline.at.messages;
    this.#settled.bytes += baseline.tally.bytes - baseline.at.bytes;
    this.#baselines.delete(topic);
  }

  skipped(bytes: number): void {
    this.#skipped.messages++;
    this.#skipped.bytes += bytes;
  }

  /** Everything sent to this connection so far: direct, plus what its topics published while it was on them. */
  out(): Tally {
    const total = {
      messages: this.direct.messages + this.#settled.messages,
      bytes: this.direct.bytes + this.#settled.bytes,
    };
    for (const { tally, at } of this.#baselines.values()) {
      total.messages += tally.messages - at.messages;
      total.bytes += tally.bytes - at.bytes;
    }
    total.messages -= this.#skipped.messages;
    total.bytes -= this.#skipped.bytes;
    return total;
  }
}

/** Per-topic publish tallies, kept while a topic has local subscribers. */
export class TopicLedger {
  readonly #topics = new Map<string, { tally: Tally; subscribers: number }>();

  published(topic: string, bytes: number): void {
    const entry = this.#topics.get(topic);
    if (!entry) return;
    entry.tally.messages++;
    entry.tally.bytes += bytes;
  }

  subscribe(stats: ConnectionStats, topic: string): void {
    if (stats.isOn(topic)) return;
    let entry = this.#topics.get(topic);
    if (!entry) {
      entry = { tally: zero(), subscribers: 0 };
      this.#topics.set(topic, entry);
    }
    entry.subscribers++;
    stats.joined(topic, entry.tally);
  }

  unsubscribe(stats: ConnectionStats, topic: string): void {
    if (!stats.isOn(topic)) return;
    stats.left(topic);
    const entry = this.#topics.get(topic);
    if (entry && --entry.subscribers <= 0) this.#topics.delete(topic);
  }

  get size(): number {
    return this.#topics.size;
  }
}
