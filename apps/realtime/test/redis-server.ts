import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { waitFor } from './wait.ts';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A throwaway redis-server on its own loopback port, which the test stops and starts at will. */
export class RedisServer {
  #process: ChildProcess | null = null;
  readonly port: number;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    if (this.#process) return;
    this.#process = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--logfile',
        '',
      ],
      { stdio: 'ignore' },
    );
    await waitFor(`redis on ${this.port}`, () => accepting(this.port), { timeoutMs: 10_000 });
  }

  /** Kill it (SIGKILL: an outage, not a polite shutdown) and wait until the port is closed. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    this.#process = null;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
