import net from 'node:net';

/** What the proxy does to the next transaction's COMMIT. */
type CommitFault = 'none' | 'lose-answer' | 'drop-commit';

/** Whether a client→server chunk holds a simple query or a parse whose SQL starts with COMMIT. */
function holdsCommit(chunk: Buffer): boolean {
  let at = 0;
  while (at + 5 <= chunk.length) {
    const type = String.fromCharCode(chunk[at] ?? 0);
    const length = chunk.readInt32BE(at + 1);
    if (length < 4) return false;
    const body = chunk.subarray(at + 5, Math.min(chunk.length, at + 1 + length));
    // Parse ('P') starts with the statement name, a C string, before its SQL.
    const sql = type === 'Q' ? body : type === 'P' ? body.subarray(body.indexOf(0) + 1) : undefined;
    if (sql && /^\s*COMMIT\b/i.test(sql.toString('latin1'))) return true;
    at += 1 + length;
  }
  return false;
}

/**
 * A TCP forwarder between a client and Postgres that can fail one transaction's end the way networks
 * do: the COMMIT reaches the server and the connection drops before the answer comes back
 * (`loseNextCommitAnswer`), or the connection drops with the COMMIT unsent (`dropNextCommit`). After
 * either, `refuseAfterFault` keeps resetting every new connection until `restore`.
 */
export class CommitCuttingProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #targetPort: number;
  #fault: CommitFault = 'none';
  #refuseAfterFault = false;
  #refusing = false;
  /** COMMITs to let through before the armed fault. */
  #skip = 0;
  /** COMMITs the proxy has failed so far. */
  faults = 0;
  port = 0;

  private constructor(targetPort: number) {
    this.#targetPort = targetPort;
    this.#server = net.createServer((client) => this.#forward(client));
  }

  static async start(targetPort: number): Promise<CommitCuttingProxy> {
    const proxy = new CommitCuttingProxy(targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.#server.address() as net.AddressInfo).port;
    return proxy;
  }

  /** The next COMMIT is delivered to the server, then both sides are cut before its answer returns. */
  loseNextCommitAnswer(options: { refuseAfterFault?: boolean; skip?: number } = {}): void {
    this.#fault = 'lose-answer';
    this.#refuseAfterFault = options.refuseAfterFault ?? false;
    this.#skip = options.skip ?? 0;
  }

  /** The next COMMIT is never delivered: both sides are cut with the transaction open. */
  dropNextCommit(): void {
    this.#fault = 'drop-commit';
    this.#refuseAfterFault = false;
    this.#skip = 0;
  }

  /** Accept and forward connections again. */
  restore(): void {
    this.#refusing = false;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #forward(client: net.Socket): void {
    if (this.#refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.#targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.#sockets.delete(socket);
        client.destroy();
      });
    }
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      if (this.#fault === 'none' || !holdsCommit(chunk)) {
        upstream.write(chunk);
        return;
      }
      if (this.#skip > 0) {
        this.#skip--;
        upstream.write(chunk);
        return;
      }
      const fault = this.#fault;
      this.#fault = 'none';
      this.faults++;
      if (this.#refuseAfterFault) this.#refusing = true;
      upstream.unpipe();
      upstream.resume();
      client.destroy();
      // Ending after the write lets the server read the whole COMMIT, run it, then see the close.
      if (fault === 'lose-answer') upstream.end(chunk);
      else upstream.destroy();
    });
    client.on('end', () => upstream.end());
  }
}
