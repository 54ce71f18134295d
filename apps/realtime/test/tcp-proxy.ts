import net from 'node:net';

/**
 * A TCP forwarder the test controls: stands in for a load balancer (switch the target), a
 * network cut (refuse and reset every connection) or a partition that stalls (connections are
 * accepted and kept, nothing is forwarded) between a node and its database.
 */
export class TcpProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #targetPort: number;
  #cut = false;
  #stalled = false;
  /** Client/upstream pairs that are forwarding (or held, while stalled). */
  readonly #pairs = new Set<{ client: net.Socket; upstream: net.Socket | null }>();
  port = 0;

  private constructor(targetPort: number) {
    this.#targetPort = targetPort;
    this.#server = net.createServer((client) => this.#forward(client));
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.#server.address() as net.AddressInfo).port;
    return proxy;
  }

  /** Send new connections elsewhere (existing ones are left alone). */
  retarget(port: number): void {
    this.#targetPort = port;
  }

  /** Reset every open connection and every new one until `restore`. */
  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /**
   * Stop forwarding in both directions on every connection, and accept new ones without
   * answering, until `restore`: a partition where nothing is refused and nothing is answered.
   */
  stall(): void {
    this.#stalled = true;
    for (const { client, upstream } of this.#pairs) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  restore(): void {
    this.#cut = false;
    if (!this.#stalled) return;
    this.#stalled = false;
    for (const pair of this.#pairs) {
      if (pair.upstream) this.#pipe(pair.client, pair.upstream);
      else pair.upstream = this.#connectUpstream(pair);
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #forward(client: net.Socket): void {
    if (this.#cut) {
      client.destroy();
      return;
    }
    const pair: { client: net.Socket; upstream: net.Socket | null } = { client, upstream: null };
    this.#pairs.add(pair);
    this.#track(client, pair);
    if (this.#stalled) client.pause();
    else pair.upstream = this.#connectUpstream(pair);
  }

  #connectUpstream(pair: { client: net.Socket; upstream: net.Socket | null }): net.Socket {
    const upstream = net.connect(this.#targetPort, '127.0.0.1');
    this.#track(upstream, pair);
    this.#pipe(pair.client, upstream);
    return upstream;
  }

  #pipe(client: net.Socket, upstream: net.Socket): void {
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
    upstream.resume();
  }

  #track(socket: net.Socket, pair: { client: net.Socket; upstream: net.Socket | null }): void {
    this.#sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#sockets.delete(socket);
      this.#pairs.delete(pair);
      pair.client.destroy();
      pair.upstream?.destroy();
    });
  }
}
