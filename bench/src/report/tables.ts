/** The report as Markdown tables: printed by the CLI and pasted into BENCHMARKS.md. */
import type { Measurement } from '../load/measure.ts';
import type { SystemReport } from '../scenarios/suite.ts';

const ms = (v: number) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) : '—');
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(v >= 0.9995 ? 0 : 1)} %` : '—');
const us = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function fanoutRow(r: SystemReport, m: Measurement): string[] {
  return [
    r.label,
    String(r.nodes),
    int(m.offeredPerS),
    int(m.deliveredPerS),
    ms(m.p50Ms),
    ms(m.p99Ms),
    ms(m.p999Ms),
    pct(m.completeness),
    us(m.nodeCpuUsPerDelivery),
    us(m.serverCpuUsPerDelivery),
    ms((m.serverCpuUsPerDelivery * 1e5) / 1e6),
  ];
}

export function fanoutTable(reports: readonly SystemReport[]): string {
  return table(
    [
      'system',
      'nodes',
      'offered msgs/s',
      'delivered msgs/s',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'delivered',
      'node CPU µs/delivery',
      'nodes+Redis CPU µs/delivery',
      'CPU s per 100k deliveries',
    ],
    reports.flatMap((r) => (r.fanout ? [fanoutRow(r, r.fanout)] : [])),
  );
}

export function sweepTable(reports: readonly SystemReport[]): string {
  return table(
    ['system', 'highest sustainable delivered msgs/s', 'at offered msgs/s', 'p99 there (ms)', 'stopped'],
    reports.flatMap((r) => {
      if (!r.sweep) return [];
      const best = r.sweep.levels.find((l) => l.offeredPerS === r.sweep?.sustainableOfferedPerS);
      return [
        [
          r.label,
          int(r.sweep.sustainableDeliveredPerS),
          int(r.sweep.sustainableOfferedPerS),
          best ? ms(best.p99Ms) : '—',
          r.sweep.stoppedBecause,
        ],
      ];
    }),
  );
}

export function sweepLevelsTable(reports: readonly SystemReport[]): string {
  return table(
    [
      'system',
      'offered msgs/s',
      'delivered msgs/s',
      'p50 ms',
      'p99 ms',
      'delivered',
      'node CPU µs/delivery',
      'load-gen CPU s',
    ],
    reports.flatMap((r) =>
      (r.sweep?.levels ?? []).map((m) => [
        r.label,
        int(m.offeredPerS),
        int(m.deliveredPerS),
        ms(m.p50Ms),
        ms(m.p99Ms),
        pct(m.completeness),
        us(m.nodeCpuUsPerDelivery),
        m.clientCpuS.toFixed(1),
      ]),
    ),
  );
}

export function stormTable(reports: readonly SystemReport[]): string {
  return table(
    [
      'system',
      'cursor msgs/s sent',
      'delivered msgs/s (in window)',
      'delivered msgs/s (window + drain)',
      'delivered MB/s',
      'p50 ms',
      'p99 ms',
      'delivered / sent×receivers',
      'node CPU µs/delivery',
    ],
    reports.flatMap((r) =>
      r.storm
        ? [
            [
              r.label,
              int(r.storm.offeredPerS),
              int(r.storm.deliveredPerS),
              int(r.storm.delivered / r.storm.elapsedS),
              (r.storm.bytesPerS / 1e6).toFixed(2),
              ms(r.storm.p50Ms),
              ms(r.storm.p99Ms),
              pct(r.storm.completeness),
              us(r.storm.nodeCpuUsPerDelivery),
            ],
          ]
        : [],
    ),
  );
}

export function idleTable(reports: readonly SystemReport[]): string {
  return table(
    [
      'system',
      'idle connections',
      'node RSS MiB (after GC)',
      'RSS MiB before GC',
      'KiB per connection',
      'KiB per added connection',
      'dropped',
      'connect time s',
    ],
    reports.flatMap((r) =>
      (r.idle ?? []).map((l) => [
        r.label,
        int(l.connections),
        (l.rssBytes / 2 ** 20).toFixed(0),
        (l.rssBeforeGcBytes / 2 ** 20).toFixed(0),
        (l.bytesPerConnection / 1024).toFixed(2),
        l.marginalBytesPerConnection === null ? '—' : (l.marginalBytesPerConnection / 1024).toFixed(2),
        String(l.dropped),
        l.connectSeconds.toFixed(1),
      ]),
    ),
  );
}

export function idleNotes(reports: readonly SystemReport[]): string {
  const reasons = new Map<string, number[]>();
  for (const r of reports)
    for (const s of r.idleSkipped) reasons.set(s.reason, [...(reasons.get(s.reason) ?? []), s.connections]);
  return [...reasons]
    .map(
      ([reason, counts]) =>
        `Not measured: ${[...new Set(counts)].map((n) => int(n)).join(', ')} connections — ${reason}.`,
    )
    .join('\n');
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export function footprintTable(reports: readonly SystemReport[]): string {
  return table(
    [
      'system',
      'spawn → ready s (median)',
      'each start s',
      'CPU s to ready (median)',
      'idle RSS MiB',
      'idle RSS MiB after GC',
    ],
    reports.flatMap((r) => {
      const f = r.footprint;
      if (!f) return [];
      return [
        [
          r.label,
          (median(f.readyMs) / 1000).toFixed(2),
          f.readyMs.map((v) => (v / 1000).toFixed(2)).join(', '),
          (median(f.readyCpuMs) / 1000).toFixed(2),
          (f.idleRssBytes / 2 ** 20).toFixed(0),
          (f.idleRssAfterGcBytes / 2 ** 20).toFixed(0),
        ],
      ];
    }),
  );
}

export function errorsList(reports: readonly SystemReport[]): string {
  const lines = reports.flatMap((r) => r.errors.map((e) => `- ${r.label}: ${e}`));
  return lines.length > 0 ? lines.join('\n') : '';
}
