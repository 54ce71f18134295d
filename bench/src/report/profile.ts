/**
 * Summarises V8 CPU profiles (from BENCH_CPU_PROF_DIR): self time by function and by
 * package, so "where the time goes" can be read without a flame-graph viewer.
 *
 *   tsx src/report/profile.ts <file.cpuprofile> [top=25]
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

export function summarise(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const dt = profile.timeDeltas[i] ?? 0;
    if (!frame) return;
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
  const rows = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${key}`)
      .join('\n');
  return `${(total / 1e6).toFixed(1)} s busy, ${(idle / 1e6).toFixed(1)} s idle\n\nself time by function (% of busy)\n${rows(byFunction, top)}\n\nself time by package\n${rows(byOwner, 15)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: tsx src/report/profile.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(top ?? 25)));
}
