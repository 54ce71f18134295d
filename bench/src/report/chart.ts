/**
 * The latency-against-offered-load chart as a hand-written SVG (log–log axes): p99 as solid
 * lines, p50 dashed, one colour per system, the sweep's 100 ms limit marked.
 */
import type { SystemReport } from '../scenarios/suite.ts';

const WIDTH = 880;
const HEIGHT = 520;
const MARGIN = { left: 84, right: 250, top: 40, bottom: 56 };
const COLORS = ['#d62728', '#ff7f0e', '#9467bd', '#1f77b4', '#2ca02c', '#17becf', '#8c564b', '#e377c2'];

interface Series {
  label: string;
  color: string;
  dashed: boolean;
  points: [number, number][];
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function logScale(min: number, max: number, from: number, to: number) {
  const lo = Math.log10(min);
  const hi = Math.log10(max);
  return (v: number) => from + ((Math.log10(Math.max(min, Math.min(max, v))) - lo) / (hi - lo)) * (to - from);
}

function decades(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
  return out.filter((v) => v >= min && v <= max);
}

const tickLabel = (v: number) => (v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v));

export function latencyChart(reports: readonly SystemReport[], title: string, limitMs = 100): string {
  const series: Series[] = [];
  reports.forEach((r, i) => {
    // The fan-out run is one more point on the same curve (same room, a lower rate).
    const levels = [...(r.fanout ? [r.fanout] : []), ...(r.sweep?.levels ?? [])].sort(
      (a, b) => a.expected / a.windowS - b.expected / b.windowS,
    );
    if (levels.length === 0) return;
    const color = COLORS[i % COLORS.length] ?? '#000';
    const x = (m: (typeof levels)[number]) => m.expected / m.windowS;
    const valid = levels.filter((m) => Number.isFinite(m.p99Ms) && m.expected > 0);
    series.push({ label: `${r.label} p99`, color, dashed: false, points: valid.map((m) => [x(m), m.p99Ms]) });
    series.push({ label: `${r.label} p50`, color, dashed: true, points: valid.map((m) => [x(m), m.p50Ms]) });
  });
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMin = 10 ** Math.floor(Math.log10(Math.min(...xs, 1e4)));
  const xMax = 10 ** Math.ceil(Math.log10(Math.max(...xs, 1e5)));
  const yMin = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(...ys, 1))));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...ys, limitMs * 10)));
  const plotRight = WIDTH - MARGIN.right;
  const plotBottom = HEIGHT - MARGIN.bottom;
  const sx = logScale(xMin, xMax, MARGIN.left, plotRight);
  const sy = logScale(yMin, yMax, plotBottom, MARGIN.top);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (const v of decades(xMin, xMax)) {
    const px = sx(v).toFixed(1);
    out.push(`<line x1="${px}" y1="${MARGIN.top}" x2="${px}" y2="${plotBottom}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${px}" y="${plotBottom + 18}" text-anchor="middle">${tickLabel(v)}</text>`);
  }
  for (const v of decades(yMin, yMax)) {
    const py = sy(v).toFixed(1);
    out.push(`<line x1="${MARGIN.left}" y1="${py}" x2="${plotRight}" y2="${py}" stroke="#e5e5e5"/>`);
    out.push(
      `<text x="${MARGIN.left - 8}" y="${py}" text-anchor="end" dominant-baseline="middle">${v} ms</text>`,
    );
  }
  const limitY = sy(limitMs).toFixed(1);
  out.push(
    `<line x1="${MARGIN.left}" y1="${limitY}" x2="${plotRight}" y2="${limitY}" stroke="#555" stroke-dasharray="2 3"/>`,
    `<text x="${plotRight - 4}" y="${Number(limitY) - 6}" text-anchor="end" fill="#555">p99 limit ${limitMs} ms</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotRight - MARGIN.left}" height="${plotBottom - MARGIN.top}" fill="none" stroke="#333"/>`,
    `<text x="${(MARGIN.left + plotRight) / 2}" y="${HEIGHT - 14}" text-anchor="middle">offered deliveries per second (broadcasts/s × receivers), log scale</text>`,
    `<text transform="translate(16 ${(MARGIN.top + plotBottom) / 2}) rotate(-90)" text-anchor="middle">delivery latency, log scale</text>`,
  );
  for (const s of series) {
    if (s.points.length === 0) continue;
    const path = s.points
      .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join(' ');
    const dash = s.dashed ? ' stroke-dasharray="5 4" stroke-opacity="0.7"' : '';
    out.push(
      `<path d="${path}" fill="none" stroke="${s.color}" stroke-width="${s.dashed ? 1.5 : 2.2}"${dash}/>`,
    );
    if (!s.dashed)
      for (const [x, y] of s.points)
        out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
  }
  series
    .filter((s) => !s.dashed)
    .forEach((s, i) => {
      const y = MARGIN.top + 10 + i * 20;
      out.push(
        `<line x1="${plotRight + 16}" y1="${y}" x2="${plotRight + 40}" y2="${y}" stroke="${s.color}" stroke-width="2.2"/>`,
        `<text x="${plotRight + 46}" y="${y}" dominant-baseline="middle">${escapeXml(s.label.replace(/ p99$/, ''))}</text>`,
      );
    });
  const noteY = MARGIN.top + 20 + series.filter((s) => !s.dashed).length * 20;
  out.push(`<text x="${plotRight + 16}" y="${noteY}" fill="#555">solid: p99 · dashed: p50</text>`, '</svg>');
  return `${out.join('\n')}\n`;
}
