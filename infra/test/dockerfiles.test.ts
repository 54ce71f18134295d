import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../apps/realtime/src/env.ts';
import { PRODUCTION_ENV } from '../../bench/src/systems/production-env.ts';
import { appServesRoute } from './support/app-env.ts';
import {
  ancestry,
  envOf,
  execForm,
  instructions,
  lastInstruction,
  readDockerfile,
  type Stage,
} from './support/dockerfile.ts';
import { dockerIgnores } from './support/dockerignore.ts';
import { REPO_ROOT, readPackageJson, repoPath } from './support/repo.ts';

/** Long enough for the realtime config parser; never used to sign anything. */
const PARSE_ONLY_SECRET = 'x'.repeat(32);

const IMAGES = [
  {
    image: 'realtime',
    workspace: 'apps/realtime',
    defaultPort: () => loadConfig({ MERIDIAN_AUTH_SECRET: PARSE_ONLY_SECRET }).port,
  },
  {
    image: 'web',
    workspace: 'apps/web',
    // `next start -p ${PORT:-3000}` in the web package's start script.
    defaultPort: () => Number(/PORT:-(\d+)/.exec(readPackageJson('apps/web').scripts?.start ?? '')?.[1]),
  },
] as const;

const BASE_IMAGE = 'node:20-bookworm-slim';

function runtimeStage(stages: Stage[]): Stage {
  const last = stages.at(-1);
  if (!last) throw new Error('no stage');
  return last;
}

const pruneDirs: string[] = [];
afterAll(() => {
  for (const dir of pruneDirs) rmSync(dir, { recursive: true, force: true });
});

describe.each(IMAGES)('infra/docker/$image.Dockerfile', ({ image, workspace, defaultPort }) => {
  const stages = readDockerfile(image);
  const runtime = runtimeStage(stages);
  const pkg = readPackageJson(workspace);

  it('builds every stage on NODE_IMAGE, node:20-bookworm-slim by default (glibc 2.36: the uWS binary loads)', () => {
    const names = new Set(stages.map((s) => s.name));
    for (const stage of stages) {
      expect(stage.from === BASE_IMAGE || names.has(stage.from), `FROM ${stage.from}`).toBe(true);
    }
    expect(runtime.from).toBe(BASE_IMAGE);
  });

  it('runs as a non-root user', () => {
    const user = lastInstruction(runtime, 'USER')?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
  });

  it('prunes the monorepo to this app with the pinned turbo, installs without scripts, ships production code only', () => {
    const runs = stages.flatMap((s) => instructions(s, 'RUN').map((r) => r.args));
    const rootTurbo = readPackageJson('.').devDependencies?.turbo;
    expect(runs).toContain(`npm install -g turbo@${rootTurbo}`);
    expect(runs.some((r) => r.startsWith(`turbo prune ${pkg.name} --docker`))).toBe(true);
    expect(runs).toContain('npm ci --ignore-scripts');
    const runtimeSources = ancestry(stages, runtime).flatMap((s) =>
      instructions(s, 'RUN').map((r) => r.args),
    );
    if (image === 'web') {
      expect(runtimeSources).toContain('npm prune --omit=dev --ignore-scripts');
    } else {
      // The runtime stage copies only what the bundle's assembly put in /runtime (no node_modules tree).
      expect(runs).toContain('node apps/realtime/scripts/build.mjs --runtime-dir /runtime');
      expect(instructions(runtime, 'COPY').map((c) => c.args)).toContain('--from=builder /runtime /app');
    }
  });

  it("listens on the app's default port, and says so with EXPOSE", () => {
    const port = defaultPort();
    expect(port).toBeGreaterThan(0);
    expect(lastInstruction(runtime, 'EXPOSE')?.args).toBe(String(port));
    expect(envOf(runtime).get('PORT')).toBe(String(port));
  });

  it('starts plain JavaScript with node, no TypeScript loader', () => {
    const cmd = execForm(lastInstruction(runtime, 'CMD')?.args ?? '[]');
    expect(cmd[0]).toBe('node');
    expect(cmd).not.toContain('--import');
    expect(cmd.some((arg) => arg.endsWith('.ts'))).toBe(false);
    if (image === 'realtime') {
      expect(lastInstruction(runtime, 'WORKDIR')?.args).toBe('/app/apps/realtime');
      // What the realtime package's own start script runs, the bundle its build script writes.
      expect(cmd.slice(1)).toEqual(['dist/index.mjs']);
      // …with the same environment as `npm start` and the benchmark (bench's PRODUCTION_ENV).
      const production = Object.entries(PRODUCTION_ENV);
      expect(pkg.scripts?.start).toBe(
        `${production.map(([k, v]) => `${k}=${v}`).join(' ')} node dist/index.mjs`,
      );
      for (const [key, value] of production) expect(envOf(runtime).get(key), key).toBe(value);
      expect(Object.keys(pkg.dependencies ?? {})).not.toContain('tsx');
    } else {
      expect(Object.keys(pkg.dependencies ?? {})).toContain('next');
    }
  });

  it('probes health with a bash /dev/tcp script (no Node process per probe) on a path the app serves', () => {
    const healthcheck = lastInstruction(runtime, 'HEALTHCHECK')?.args ?? '';
    const cmdAt = healthcheck.indexOf('CMD ');
    expect(cmdAt).toBeGreaterThan(-1);
    const timeoutS = Number(/--timeout=(\d+)s/.exec(healthcheck)?.[1]);
    const [program = '', probePath = ''] = execForm(healthcheck.slice(cmdAt + 4));
    const copied = instructions(runtime, 'COPY').find((c) => c.args.endsWith(` /usr/local/bin/${program}`));
    const source = copied?.args.split(/\s+/)[0] ?? '';
    expect(existsSync(repoPath(source)), `COPY ${source}`).toBe(true);
    expect(dockerIgnores(source)).toBe(false);
    const script = readFileSync(repoPath(source), 'utf8');
    expect(script.split('\n')[0]).toBe('#!/bin/bash');
    expect(script).toContain('/dev/tcp/127.0.0.1/');
    expect(script).not.toMatch(/\bnode\b/);
    // The probe bounds its own read below Docker's timeout, so Docker never has to kill it.
    const readBoundS = Number(/read -r -t (\d+)/.exec(script)?.[1]);
    expect(readBoundS).toBeLessThan(timeoutS);
    expect(appServesRoute(image, probePath), `${image} serves ${probePath}`).toBe(true);
  });

  it('turbo prune --docker cuts this repository into the install layer and the sources the image needs', () => {
    const out = mkdtempSync(path.join(tmpdir(), `meridian-prune-${image}-`));
    pruneDirs.push(out);
    execFileSync('npx', ['turbo', 'prune', pkg.name, '--docker', '--out-dir', out], {
      cwd: REPO_ROOT,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
      stdio: 'pipe',
    });
    expect(existsSync(path.join(out, 'json/package-lock.json'))).toBe(true);
    expect(existsSync(path.join(out, 'json', workspace, 'package.json'))).toBe(true);
    expect(existsSync(path.join(out, 'full', workspace, 'src'))).toBe(true);
    for (const dep of Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith('@meridian/'))) {
      const dir = dep.replace('@meridian/', 'packages/');
      expect(existsSync(path.join(out, 'full', dir, 'package.json')), dep).toBe(true);
    }
    // A tsconfig the pruned sources extend but prune leaves out (the root base) must be copied in:
    // tsx and Prisma's config loader fail on a missing `extends`.
    const fromContext = stages.flatMap((s) =>
      instructions(s, 'COPY')
        .filter((c) => !c.args.startsWith('--from='))
        .map((c) => c.args.split(/\s+/)[0]),
    );
    const full = path.join(out, 'full');
    const tsconfigs = readdirSync(full, { recursive: true, encoding: 'utf8' }).filter(
      (file) => path.basename(file) === 'tsconfig.json' && !file.includes('node_modules'),
    );
    expect(tsconfigs.length).toBeGreaterThan(0);
    for (const file of tsconfigs) {
      const { config } = ts.readConfigFile(path.join(full, file), ts.sys.readFile) as {
        config?: { extends?: string };
      };
      if (typeof config?.extends !== 'string' || !config.extends.startsWith('.')) continue;
      const extended = path.relative(full, path.resolve(full, path.dirname(file), config.extends));
      expect(
        existsSync(path.join(full, extended)) || fromContext.includes(extended),
        `${file} extends ${extended}`,
      ).toBe(true);
    }
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, build output, local data and secrets out of the build context', () => {
    for (const ignored of [
      'node_modules/zod/package.json',
      'apps/web/node_modules/x',
      'apps/web/.next/BUILD_ID',
      '.data/pglite/PG_VERSION',
      '.turbo/cache',
      '.git/HEAD',
      'apps/web/test-artifacts/shot.png',
      'bench/results/run.json',
      '.env',
    ]) {
      expect(dockerIgnores(ignored), ignored).toBe(true);
    }
  });

  it('lets through the sources, lockfile and infra files the builds copy', () => {
    for (const kept of [
      'package.json',
      'package-lock.json',
      'turbo.json',
      'apps/realtime/src/index.ts',
      'packages/db/prisma/schema.prisma',
      'infra/docker/healthcheck.sh',
      'apps/realtime/scripts/build.mjs',
    ]) {
      expect(dockerIgnores(kept), kept).toBe(false);
    }
  });
});
