/** The goals, checked against a run's figures (reported, never asserted). */

import type { SystemReport } from '../scenarios/suite.ts';
import type { SystemId } from '../systems/catalog.ts';

export interface GoalCheck {
  goal: string;
  measured: string;
  met: boolean | null;
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? a / b : Number.NaN;
const fmt = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const judge = (v: number, ok: (v: number) => boolean) => (Number.isFinite(v) ? ok(v) : null);

export function checkGoals(reports: readonly SystemReport[]): GoalCheck[] {
  const by = (id: SystemId) => reports.find((r) => r.id === id);
  const socketio = by('socketio');
  const relay = by('uws-relay');
  const single = by('uws-single');
  const checks: GoalCheck[] = [];
  for (const id of ['meridian', 'meridian-flush10'] as const) {
    const m = by(id);
    if (!m) continue;
    const name = m.label;
    const thr = ratio(m.sweep?.sustainableDeliveredPerS, socketio?.sweep?.sustainableDeliveredPerS);
    checks.push({
      goal: `${name}: sustainable delivered msgs/s ≥ 5× Socket.IO's`,
      measured: `${fmt(thr)}×`,
      met: judge(thr, (v) => v >= 5),
    });
    const p99 = ratio(m.fanout?.p99Ms, socketio?.fanout?.p99Ms);
    checks.push({
      goal: `${name}: p99 ≤ ⅓ of Socket.IO's at equal offered load (fan-out run)`,
      measured: `${fmt(m.fanout?.p99Ms ?? Number.NaN, 1)} ms vs ${fmt(socketio?.fanout?.p99Ms ?? Number.NaN, 1)} ms (${fmt(p99)}×)`,
      met: judge(p99, (v) => v <= 1 / 3),
    });
    for (const ceiling of [relay, single]) {
      if (!ceiling) continue;
      const share = ratio(m.sweep?.sustainableDeliveredPerS, ceiling.sweep?.sustainableDeliveredPerS);
      checks.push({
        goal: `${name}: ≥ 70 % of ${ceiling.label}'s sustainable msgs/s`,
        measured: `${fmt(share * 100, 0)} %`,
        met: judge(share, (v) => v >= 0.7),
      });
    }
    const cpu = ratio(m.fanout?.serverCpuUsPerDelivery, socketio?.fanout?.serverCpuUsPerDelivery);
    checks.push({
      goal: `${name}: server CPU per delivery (nodes + Redis) ≤ ¼ of Socket.IO's`,
      measured: `${fmt(m.fanout?.serverCpuUsPerDelivery ?? Number.NaN)} µs vs ${fmt(socketio?.fanout?.serverCpuUsPerDelivery ?? Number.NaN)} µs (${fmt(cpu)}×)`,
      met: judge(cpu, (v) => v <= 0.25),
    });
  }
  const meridian = by('meridian');
  const levels = meridian?.idle ?? [];
  const top = levels.at(-1);
  const first = levels[0];
  if (top && first) {
    const skipped = meridian?.idleSkipped.find((s) => s.connections >= 50_000);
    // The cost of a connection is the RSS it adds: the slope from the first level to the last.
    // (RSS over the node's baseline also counts start-up memory V8 has freed but the allocator
    // keeps, which can exceed what thousands of connections cost.)
    const perConnection =
      top.connections > first.connections
        ? (top.rssBytes - first.rssBytes) / (top.connections - first.connections)
        : top.bytesPerConnection;
    checks.push({
      goal: 'Meridian: ≥ 50,000 idle connections on one node at ≤ 4 KiB RSS each',
      measured:
        `${top.connections.toLocaleString('en-US')} held (${top.dropped} dropped), ` +
        `${fmt(perConnection / 1024)} KiB per connection (RSS added from ${first.connections.toLocaleString('en-US')} to ${top.connections.toLocaleString('en-US')}, after GC)` +
        (skipped ? `; 50,000 not measurable here (${skipped.reason})` : ''),
      met:
        top.connections >= 50_000
          ? top.dropped === 0 && perConnection <= 4096
          : perConnection > 4096 || top.dropped > 0
            ? false
            : null,
    });
  }
  const footprint = meridian?.footprint;
  if (footprint) {
    const readyMs =
      [...footprint.readyMs].sort((x, y) => x - y)[Math.floor(footprint.readyMs.length / 2)] ?? Number.NaN;
    checks.push({
      goal: 'Meridian: an idle node holds ≤ 100 MiB RSS',
      measured: `${fmt(footprint.idleRssBytes / 2 ** 20, 0)} MiB (${fmt(footprint.idleRssAfterGcBytes / 2 ** 20, 0)} MiB after a full GC)`,
      met: judge(footprint.idleRssBytes, (v) => v <= 100 * 2 ** 20),
    });
    checks.push({
      goal: 'Meridian: spawn to /readyz 200 in ≤ 2 s',
      measured: `${fmt(readyMs / 1000)} s (median of ${footprint.readyMs.length})`,
      met: judge(readyMs, (v) => v <= 2000),
    });
  }
  // A goal whose inputs this run did not measure (a partial run) is left out, not shown as n/a.
  return checks.filter((c) => !c.measured.includes('n/a'));
}

export function goalsTable(checks: readonly GoalCheck[]): string {
  const rows = checks.map(
    (c) =>
      `| ${c.goal} | ${c.measured} | ${c.met === null ? 'not measured at this size' : c.met ? 'met' : 'missed'} |`,
  );
  return ['| goal | measured | verdict |', '| --- | --- | --- |', ...rows].join('\n');
}
