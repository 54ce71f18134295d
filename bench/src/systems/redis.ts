/**
 * A Redis of the benchmark's own on a free loopback port: no other test's traffic
 * shares it, it can be pinned with the servers, and its CPU time is measured.
 */
import { createConnection } from 'node:net';
import { freePort, type ManagedProcess, startProcess, waitUntilReady } from './spawn.ts';

export interface BenchRedis {
  url: string;
  process: ManagedProcess;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(1_000, () => socket.destroy());
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      resolve(data.toString().startsWith('+PONG'));
      socket.end();
    });
  });
}

export async function startRedis(cpus: string | null): Promise<BenchRedis> {
  const port = await freePort();
  const proc = startProcess(
    'redis-server',
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxclients',
      '10000',
    ],
    process.env,
    cpus,
  );
  await waitUntilReady(proc, () => ping(port), 15_000);
  return { url: `redis://127.0.0.1:${port}`, process: proc };
}
