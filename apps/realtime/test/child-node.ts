import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_SECRET } from './harness.ts';
import { waitFor } from './wait.ts';

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ChildNode {
  pid: number;
  port: number;
  wsUrl: string;
  httpUrl: string;
  /** Every stdout/stderr line, for failure messages. */
  logs: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  /** SIGKILL if still running; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * A realtime node as its own process (`node --import tsx src/index.ts`), as in production: only
 * what `env` says, a port chosen by the OS, and a pid the test may SIGKILL or SIGTERM.
 */
export async function spawnNode(env: Record<string, string>): Promise<ChildNode> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: APP_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      MERIDIAN_AUTH_SECRET: TEST_SECRET,
      HOST: '127.0.0.1',
      PORT: '0',
      DRAIN_GRACE_MS: '0',
      ...env,
      // The harness reads the port from the "realtime service ready" info line.
      LOG_LEVEL: process.env.TEST_CHILD_LOG_LEVEL ?? 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let port = 0;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let finished = false;
  void exited.then(() => {
    finished = true;
  });
  const onLine = (line: string) => {
    logs.push(line);
    if (port) return;
    try {
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'realtime service ready' && entry.port) port = entry.port;
    } catch {}
  };
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
  }
  const pid = child.pid;
  if (!pid) throw new Error('could not start a realtime node');
  try {
    await waitFor(
      `node ${pid} to listen`,
      () => port || (finished ? Promise.reject(new Error(logs.join('\n'))) : 0),
      { timeoutMs: 60_000, intervalMs: 50 },
    );
  } catch (error) {
    // Never leave a half-started node behind.
    if (!finished) process.kill(pid, 'SIGKILL');
    await exited;
    throw error;
  }
  return {
    pid,
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    httpUrl: `http://127.0.0.1:${port}`,
    logs,
    exited,
    kill(signal) {
      if (!finished) process.kill(pid, signal);
    },
    async stop() {
      if (!finished) process.kill(pid, 'SIGKILL');
      await exited;
    },
  };
}
