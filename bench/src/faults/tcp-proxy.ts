/**
 * A TCP forwarder the fault benchmark controls. In front of the database it can reset every
 * connection (`cut`) or hold all traffic without closing anything (`stall`, as a database that
 * stops answering). In front of the nodes it is the load balancer: each new connection goes to
 * the next target that accepts it.
 */
import net from 'node:net';

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
  /** Bytes held while stalled, per direction. */
  held: { up: Buffer[]; down: Buffer[] };
}

export class FaultProxy {
  readonly #server: net.Server;
  readonly #targets: number[];
  readonly #pairs = new Set<Pair>();
  #next = 0;
  #cut = false;
  #stalled = false;
  port = 0;

  private constructor(targets: number[]) {
    this.#targets = targets;
    this.#server = net.createServer((client) => this.#accept(client));
  }

  static async start(targets: number[]): Promise<FaultProxy> {
    const proxy = new FaultProxy(targets);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.#server.address() as net.AddressInfo).port;
    return proxy;
  }

  get connections(): number {
    return this.#pairs.size;
  }

  /** Reset every open connection and refuse new ones until `restore`. */
  cut(): void {
    this.#cut = true;
    for (const pair of [...this.#pairs]) this.#drop(pair);
  }

  /** Hold every byte in both directions, and new connections, until `restore`. */
  stall(): void {
    this.#stalled = true;
  }

  restore(): void {
    this.#cut = false;
    if (!this.#stalled) return;
    this.#stalled = false;
    for (const pair of [...this.#pairs]) {
      if (!pair.upstream) this.#connect(pair, 0);
      this.#flush(pair);
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    if (this.#cut) {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: null, held: { up: [], down: [] } };
    this.#pairs.add(pair);
    client.on('error', () => {});
    client.on('close', () => this.#drop(pair));
    client.on('data', (chunk: Buffer) => {
      if (this.#stalled || !pair.upstream || pair.upstream.connecting) pair.held.up.push(chunk);
      else pair.upstream.write(chunk);
    });
    if (!this.#stalled) this.#connect(pair, 0);
  }

  /** Connect to the next target; on refusal try the others before giving up on this client. */
  #connect(pair: Pair, tried: number): void {
    if (tried >= this.#targets.length) {
      this.#drop(pair);
      return;
    }
    const port = this.#targets[this.#next++ % this.#targets.length] as number;
    const upstream = net.connect(port, '127.0.0.1');
    pair.upstream = upstream;
    let connected = false;
    upstream.on('connect', () => {
      connected = true;
      this.#flush(pair);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.#stalled) pair.held.down.push(chunk);
      else pair.client.write(chunk);
    });
    upstream.on('error', () => {});
    upstream.on('close', () => {
      if (pair.upstream !== upstream) return;
      if (!connected && !this.#cut && this.#pairs.has(pair)) this.#connect(pair, tried + 1);
      else this.#drop(pair);
    });
  }

  #flush(pair: Pair): void {
    if (this.#stalled) return;
    const { upstream, client, held } = pair;
    if (upstream && !upstream.connecting) for (const chunk of held.up.splice(0)) upstream.write(chunk);
    for (const chunk of held.down.splice(0)) client.write(chunk);
  }

  #drop(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}
