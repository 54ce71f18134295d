/**
 * Where a page's CPU time went, from a Chromium trace recorded with V8's sampling profiler on
 * (`TRACE_CATEGORIES`): per thread (the page's main thread, MapLibre's workers), the time sampled
 * busy, the functions that spent it themselves (self) and the ones it was spent under (total).
 * A report for the browser benchmarks: `npx tsx scripts/trace-summary.ts <trace.json>`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** V8 CPU samples for every thread of the renderer (workers included), and little else. */
export const TRACE_CATEGORIES = ['disabled-by-default-v8.cpu_profiler', 'v8.execute'];

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  parent?: number;
  callFrame: CallFrame;
}
interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  id?: string;
  args?: {
    name?: string;
    data?: { cpuProfile?: { nodes?: ProfileNode[]; samples?: number[] }; timeDeltas?: number[] };
  };
}

/** Samples that are not JavaScript running: reported apart, never as a function. */
const NOT_BUSY = new Set(['(idle)', '(root)']);

const frameName = (frame: CallFrame) => {
  const file = frame.url ? path.basename(frame.url.split('?')[0] ?? '') : '';
  const name = frame.functionName || '(anonymous)';
  return file ? `${name} ${file}:${frame.lineNumber + 1}:${frame.columnNumber + 1}` : name;
};

interface ThreadProfile {
  name: string;
  nodes: Map<number, ProfileNode>;
  samples: { node: number; us: number }[];
}

function readProfiles(events: TraceEvent[]): ThreadProfile[] {
  const threadNames = new Map<string, string>();
  for (const event of events)
    if (event.ph === 'M' && event.name === 'thread_name')
      threadNames.set(`${event.pid}:${event.tid}`, event.args?.name ?? '?');
  const processNames = new Map<number, string>();
  for (const event of events)
    if (event.ph === 'M' && event.name === 'process_name')
      processNames.set(event.pid, event.args?.name ?? '?');
  // Chunks come from the profiler's own thread; the `Profile` event that opens them is the sampled one's.
  const profiles = new Map<string, ThreadProfile>();
  for (const event of events)
    if (event.name === 'Profile' && event.id)
      profiles.set(`${event.pid}:${event.id}`, {
        name: `${processNames.get(event.pid) ?? event.pid} / ${threadNames.get(`${event.pid}:${event.tid}`) ?? event.tid}`,
        nodes: new Map(),
        samples: [],
      });
  for (const event of events) {
    if (event.name !== 'ProfileChunk' || !event.id) continue;
    const profile = profiles.get(`${event.pid}:${event.id}`);
    if (!profile) continue;
    const data = event.args?.data;
    for (const node of data?.cpuProfile?.nodes ?? []) profile.nodes.set(node.id, node);
    const samples = data?.cpuProfile?.samples ?? [];
    const deltas = data?.timeDeltas ?? [];
    for (const [i, node] of samples.entries())
      profile.samples.push({ node, us: Math.max(0, deltas[i] ?? 0) });
  }
  return [...profiles.values()];
}

const top = (totals: Map<string, number>, count: number) =>
  [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
const s = (us: number) => `${(us / 1e6).toFixed(1)} s`;

/** The report for one trace file: per thread busy time, then its top functions by self and by total. */
export function summarizeTrace(file: string, topCount = 25): string {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(raw) ? raw : (raw.traceEvents ?? []);
  const lines = [`trace ${path.basename(file)}:`];
  const profiles = readProfiles(events)
    .map((profile) => {
      let busy = 0;
      for (const sample of profile.samples) {
        const name = profile.nodes.get(sample.node)?.callFrame.functionName ?? '';
        if (!NOT_BUSY.has(name)) busy += sample.us;
      }
      return { profile, busy };
    })
    .sort((a, b) => b.busy - a.busy);
  for (const { profile, busy } of profiles) {
    // Chromium's own pages (a WebUI renderer) are not the page measured.
    if (busy < 200_000 || profile.name.startsWith('WebUI')) continue;
    const self = new Map<string, number>();
    const total = new Map<string, number>();
    for (const sample of profile.samples) {
      const leaf = profile.nodes.get(sample.node);
      if (!leaf || NOT_BUSY.has(leaf.callFrame.functionName)) continue;
      const leafName = frameName(leaf.callFrame);
      self.set(leafName, (self.get(leafName) ?? 0) + sample.us);
      const seen = new Set<string>();
      for (let node: ProfileNode | undefined = leaf; node; node = profile.nodes.get(node.parent ?? -1)) {
        const name = frameName(node.callFrame);
        if (seen.has(name)) continue;
        seen.add(name);
        total.set(name, (total.get(name) ?? 0) + sample.us);
      }
    }
    lines.push(`\n  thread "${profile.name}": ${s(busy)} busy`);
    lines.push('    self:');
    for (const [name, us] of top(self, topCount)) lines.push(`      ${s(us).padStart(8)}  ${name}`);
    lines.push('    total (under):');
    for (const [name, us] of top(total, topCount)) lines.push(`      ${s(us).padStart(8)}  ${name}`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of process.argv.slice(2)) console.log(summarizeTrace(file));
}
