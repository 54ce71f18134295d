/** The machine and software a run was measured on, for the report. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, release, totalmem } from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
}

function command(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  const model = /^Model name:\s*(.+)$/m.exec(command('lscpu', []))?.[1]?.trim() ?? 'unknown';
  return {
    cpus: availableParallelism(),
    cpuModel: model,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
  };
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    const path = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function softwareVersions(): Record<string, string> {
  return {
    'socket.io': packageVersion('socket.io'),
    'socket.io-client': packageVersion('socket.io-client'),
    '@socket.io/redis-adapter': packageVersion('@socket.io/redis-adapter'),
    redis: packageVersion('redis'),
    ws: packageVersion('ws'),
    bufferutil: packageVersion('bufferutil'),
    'uWebSockets.js (@based/uws)': packageVersion('uWebSockets.js'),
    'redis-server': /v=(\S+)/.exec(command('redis-server', ['--version']))?.[1] ?? 'unknown',
    postgres: command('psql', [
      process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      '-Atc',
      'show server_version',
    ]),
  };
}
