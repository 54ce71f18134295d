/** The machine and software a run was measured on, for the report. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, release, totalmem } from 'node:os';
import { dirname } from 'node:path';

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
    // Every CPU of the machine, not the ones this (pinned) process may use.
    cpus: cpus().length,
    cpuModel: model,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
  };
}

const require = createRequire(import.meta.url);

/** A package's version; found next to its entry point, since `exports` may hide package.json. */
function packageVersion(name: string): string {
  try {
    let dir = dirname(require.resolve(name));
    for (let i = 0; i < 4; i++, dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as {
          name?: string;
          version: string;
        };
        if (pkg.name && pkg.version) return pkg.version;
      } catch {
        // Not this folder: try its parent.
      }
    }
  } catch {
    // Not installed.
  }
  return 'unknown';
}

function uwsSourceCommit(): string {
  try {
    return readFileSync(`${dirname(require.resolve('uWebSockets.js'))}/source_commit`, 'utf8')
      .trim()
      .slice(0, 7);
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
    'uWebSockets.js (@based/uws)': `${packageVersion('uWebSockets.js')} (uWS source ${uwsSourceCommit()})`,
    'redis-server': /v=(\S+)/.exec(command('redis-server', ['--version']))?.[1] ?? 'unknown',
    postgres: command('psql', [
      process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      '-Atc',
      'show server_version',
    ]),
  };
}
