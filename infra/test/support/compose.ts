import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { REPO_ROOT } from './repo.ts';

const Port = z.object({ published: z.coerce.number().int(), target: z.coerce.number().int() });
const Condition = z.enum(['service_started', 'service_healthy', 'service_completed_successfully']);

/** A volume as `source:target[:mode]` (docker-compose 1.29 prints the short form) or the long form. */
const Volume = z.union([
  z.string().transform((short) => {
    const [source = '', target = ''] = short.split(':');
    return { source, target };
  }),
  z.object({ source: z.string(), target: z.string() }),
]);

const Service = z.object({
  image: z.string().optional(),
  build: z.object({ context: z.string(), dockerfile: z.string(), target: z.string().optional() }).optional(),
  command: z.array(z.string()).optional(),
  working_dir: z.string().optional(),
  environment: z.record(z.string(), z.string().nullable()).default({}),
  ports: z.array(Port).default([]),
  depends_on: z.record(z.string(), z.object({ condition: Condition })).default({}),
  healthcheck: z.object({ test: z.array(z.string()) }).optional(),
  stop_grace_period: z.string().optional(),
  volumes: z.array(Volume).default([]),
  restart: z.string().optional(),
});
export type ComposeService = z.infer<typeof Service>;

const ComposeFile = z.object({ services: z.record(z.string(), Service) });
export type ComposeFile = z.infer<typeof ComposeFile>;

/**
 * Runs Debian's docker-compose 1.29 on the repository's docker-compose.yml. It validates against
 * the Compose schema and resolves anchors, merges and `${VAR:-default}` without a Docker engine.
 * The environment is reduced to PATH and no .env file is read, so defaults are what gets checked.
 */
export function dockerCompose(
  args: string[],
  file = path.join(REPO_ROOT, 'docker-compose.yml'),
): { status: number; stdout: string; stderr: string } {
  const envDir = mkdtempSync(path.join(tmpdir(), 'meridian-compose-env-'));
  const emptyEnvFile = path.join(envDir, '.env');
  writeFileSync(emptyEnvFile, '');
  const fixedArgs = ['--env-file', emptyEnvFile, '--project-directory', path.dirname(file), '-f', file];
  try {
    const stdout = execFileSync('docker-compose', [...fixedArgs, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { status: 0, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { status?: number; stdout?: string; stderr?: string };
    return { status: failed.status ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  } finally {
    rmSync(envDir, { recursive: true, force: true });
  }
}

/** The resolved compose model, as `docker-compose config` prints it. */
export function resolvedCompose(): ComposeFile {
  const { status, stdout, stderr } = dockerCompose(['config']);
  if (status !== 0) throw new Error(`docker-compose config failed:\n${stderr}`);
  return ComposeFile.parse(parse(stdout));
}

/** Environment of a service with unset (null) entries dropped. */
export function environmentOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}

/** Compose durations as written by docker-compose config ("15s", "1m30s") in seconds. */
export function durationSeconds(value: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(value);
  if (!match || value === '') throw new Error(`not a compose duration: ${value}`);
  const [, h = '0', m = '0', s = '0', ms = '0'] = match;
  return Number(h) * 3600 + Number(m) * 60 + Number(s) + Number(ms) / 1000;
}
