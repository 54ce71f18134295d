/** A running count of messages and their bytes. */
export interface Tally {
  messages: number;
  bytes: number;
}

const zero = (): Tally => ({ messages: 0, bytes: 0 });

/** A topic's tally as it stood when the connection subscribed. */
interface Baseline {
  topic: string;
  tally: Tally;
  atMessages: number;
  atBytes: number;
}

/**
 * One connection's traffic counters for operators (GET /admin/connections).
 *
 * Fan-out goes through uWS topics, where JS never sees the individual receivers, so outgoing
 * published traffic is counted per topic (TopicLedger) and a connection reads the difference
 * between the topic's tally now and when it subscribed: O(1) per publish, whatever the fan-out.
 *
 * Kept flat (numbers, no nested objects or maps per connection): one of these lives for every
 * idle connection, and idle connections are what a node holds by the ten thousand.
 */
export class ConnectionStats {
  readonly openedAtMs: number;
  #inMessages = 0;
  #inBytes = 0;
  /** Messages sent to this connection alone. */
  #directMessages = 0;
  #directBytes = 0;
  /**
   * Published traffic of topics it has left (settled at unsubscribe), less the publishes this
   * connection originated and so did not receive (uWS skips the sender).
   */
  #settledMessages = 0;
  #settledBytes = 0;
  /** The topics it is on (a socket is on at most a map's two topics); null while on none. */
  #baselines: Baseline[] | null = null;
  volatileDropped = 0;
  /** Whether permessage-deflate was negotiated on this connection. */
  deflate = false;

  constructor(openedAtMs: number) {
    this.openedAtMs = openedAtMs;
  }

  get in(): Tally {
    return { messages: this.#inMessages, bytes: this.#inBytes };
  }

  /** Messages sent to this connection alone. */
  get direct(): Tally {
    return { messages: this.#directMessages, bytes: this.#directBytes };
  }

  received(bytes: number): void {
    this.#inMessages++;
    this.#inBytes += bytes;
  }

  sent(bytes: number): void {
    this.#directMessages++;
    this.#directBytes += bytes;
  }

  isOn(topic: string): boolean {
    return this.#baselines?.some((baseline) => baseline.topic === topic) ?? false;
  }

  joined(topic: string, tally: Tally): void {
    if (this.isOn(topic)) return;
    const baseline = { topic, tally, atMessages: tally.messages, atBytes: tally.bytes };
    // Exact-size arrays: push, and a spread too, grow the backing store to 17 slots (168 bytes per
    // idle connection, seen in a heap snapshot of the audience run); concat allocates what it holds.
    this.#baselines = this.#baselines ? this.#baselines.concat([baseline]) : [baseline];
  }

  left(topic: string): void {
    const baselines = this.#baselines;
    const index = baselines?.findIndex((baseline) => baseline.topic === topic) ?? -1;
    if (!baselines || index < 0) return;
    const baseline = baselines[index];
    if (baseline) {
      this.#settledMessages += baseline.tally.messages - baseline.atMessages;
      this.#settledBytes += baseline.tally.bytes - baseline.atBytes;
    }
    const rest = baselines.slice(0, index).concat(baselines.slice(index + 1));
    this.#baselines = rest.length > 0 ? rest : null;
  }

  skipped(bytes: number): void {
    this.#settledMessages--;
    this.#settledBytes -= bytes;
  }

  /** Everything sent to this connection so far: direct, plus what its topics published while it was on them. */
  out(): Tally {
    const total = {
      messages: this.#directMessages + this.#settledMessages,
      bytes: this.#directBytes + this.#settledBytes,
    };
    for (const { tally, atMessages, atBytes } of this.#baselines ?? []) {
      total.messages += tally.messages - atMessages;
      total.bytes += tally.bytes - atBytes;
    }
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
