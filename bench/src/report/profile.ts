/**
 * Summarises V8 CPU profiles (from BENCH_CPU_PROF_DIR): self time by function and by
 * package, so "where the time goes" can be read without a flame-graph viewer. Several files (the
 * nodes of one system) are summed. A profile covers a node's whole life (start-up, joins, every
 * level); `--window=FROM-TO` keeps the samples taken FROM..TO seconds after each profile began, and
 * `--timeline` prints busy time per second so the window of one level can be found.
 *
 *   tsx src/report/profile.ts <file.cpuprofile>... [--top=25] [--window=FROM-TO] [--timeline]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Seconds since the profile began, as [from, to). */
export type Window = readonly [number, number];

function shortUrl(url: string): string {
  return url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(apps|packages|bench)\//, '$1/');
}

/** The package (or source folder) a frame belongs to. */
function owner(url: string): string {
  const short = shortUrl(url);
  if (short === '') return '(native code, GC)';
  if (short.startsWith('node:')) return 'node internals';
  const parts = short.split('/');
  return short.startsWith('@')
    ? parts.slice(0, 2).join('/')
    : parts.slice(0, short.match(/^(apps|packages|bench)\//) ? 2 : 1).join('/');
}

/** Each sample's call frame and duration (µs), with when it was taken (µs since the profile began). */
function eachSample(
  profile: CpuProfile,
  visit: (frame: CallFrame, dtUs: number, atUs: number) => void,
): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let atUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    atUs += dt;
    const frame = byId.get(id)?.callFrame;
    if (frame) visit(frame, dt, atUs);
  });
}

/** Busy seconds in each second of the profiles (summed over them): where a run's levels show. */
export function timeline(profiles: CpuProfile[]): string {
  const busy: number[] = [];
  for (const profile of profiles) {
    eachSample(profile, (frame, dt, atUs) => {
      if (frame.functionName === '(idle)') return;
      const second = Math.floor(atUs / 1e6);
      busy[second] = (busy[second] ?? 0) + dt / 1e6;
    });
  }
  return Array.from(busy, (s, i) => `${String(i).padStart(4)} s  ${(s ?? 0).toFixed(2)}`).join('\n');
}

export function summarise(profiles: CpuProfile[], top = 25, window?: Window): string {
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const profile of profiles) {
    eachSample(profile, (frame, dt, atUs) => {
      if (window && (atUs < window[0] * 1e6 || atUs >= window[1] * 1e6)) return;
      // Percentages are of busy time: an idle server would otherwise hide where its work goes.
      if (frame.functionName === '(idle)') {
        idle += dt;
        return;
      }
      total += dt;
      const key = `${frame.functionName || '(anonymous)'}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
      byOwner.set(owner(frame.url), (byOwner.get(owner(frame.url)) ?? 0) + dt);
    });
  }
  const rows = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${key}`)
      .join('\n');
  return `${(total / 1e6).toFixed(1)} s busy, ${(idle / 1e6).toFixed(1)} s idle\n\nself time by function (% of busy)\n${rows(byFunction, top)}\n\nself time by package\n${rows(byOwner, 15)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const files = args.filter((arg) => !arg.startsWith('--'));
  const option = (name: string) =>
    args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? null;
  const [from, to] = (option('window') ?? '').split('-').map(Number);
  const window: Window | undefined =
    from !== undefined && to !== undefined && from < to ? [from, to] : undefined;
  if (files.length === 0 || (option('window') !== null && !window)) {
    process.stderr.write(
      'usage: tsx src/report/profile.ts <file.cpuprofile>... [--top=25] [--window=FROM-TO] [--timeline]\n',
    );
    process.exit(2);
  }
  const profiles = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  process.stdout.write(
    args.includes('--timeline')
      ? `${timeline(profiles)}\n`
      : summarise(profiles, Number(option('top') ?? 25), window),
  );
}
