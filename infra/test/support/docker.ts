import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { REPO_ROOT, repoPath } from './repo.ts';

/** Debian's CLI matches Debian's engine (another `docker` earlier on PATH may be newer than it). */
export const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/** Exit code of scripts/ensure-docker.sh meaning "Docker cannot run on this machine". */
const CANNOT_RUN = 3;

/**
 * Makes a Docker engine answer (installing and starting it as scripts/ensure-docker.sh does).
 * `startedPid`: the dockerd this call started (the caller stops it when done), if any.
 * `ok: false` only where Docker cannot run at all; any other failure throws.
 */
export function ensureDocker(): { ok: true; startedPid?: number } | { ok: false; reason: string } {
  const result = spawnSync('bash', [repoPath('scripts/ensure-docker.sh')], { encoding: 'utf8' });
  if (result.status === 0) {
    const started = /^started (\d+)$/m.exec(result.stdout)?.[1];
    return started ? { ok: true, startedPid: Number(started) } : { ok: true };
  }
  const reason = result.stderr.trim().split('\n').at(-1) ?? 'no reason given';
  if (result.status === CANNOT_RUN) return { ok: false, reason };
  throw new Error(`scripts/ensure-docker.sh failed (${result.status}): ${result.stderr}`);
}

export interface CommandResult {
  code: number;
  output: string;
}

/** Runs a command to completion (asynchronously, so a browser can act meanwhile); rejects on failure. */
export function runCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; allowFailure?: boolean } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const result = { code: code ?? -1, output };
      if (code === 0 || options.allowFailure) resolve(result);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output.slice(-4000)}`));
    });
  });
}

/** `KEY=value` lines (what infra/scripts/build-base-images.sh --env prints) as an object. */
export function parseEnvLines(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1] as string, match[2] as string]),
  );
}

/** Stops a dockerd this run started (SIGTERM stops its containers first), waiting for it to exit. */
export async function stopDockerd(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
