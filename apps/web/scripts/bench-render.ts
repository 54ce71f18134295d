/**
 * Rendering 100,000 features, in headless Chromium (SwiftShader: WebGL on the CPU), side by side
 * in one run:
 * - Meridian: the production build and a real realtime node; a map of N generated features
 *   (points with address properties, small polygons, short lines), seeded with `features.import`.
 *   Measured: navigation → snapshot applied → all features drawn (the map idle with all of them),
 *   then frame times (requestAnimationFrame deltas) during a scripted pan and zoom.
 * - the peer: plain MapLibre (the same release) on a bare page, the same features in one
 *   unclustered GeoJSON source with default options (what a map app gets without the work), and
 *   the same pan and zoom. It also times one edit as a full `setData` against an `updateData`.
 * A report, not a test: `npm run bench:render -w @meridian/web [-- --features 100000 --runs 2]`.
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { createMap, mapLink } from '../e2e/support/api.ts';
import { launchBrowser } from '../e2e/support/browser.ts';
import { argument, generate, median, ms, seed, startBenchCluster, startPeerServer } from './bench-support.ts';

const FEATURES = argument('--features') || 100_000;
const RUNS = argument('--runs') || 2;
const VIEWPORT = { width: 1280, height: 800 };

const webDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = path.resolve(webDir, '../..');
const logDir = path.join(webDir, 'test-artifacts', 'bench-logs');
const shots = path.join(webDir, 'test-artifacts');
mkdirSync(logDir, { recursive: true });

interface FrameStats {
  frames: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  /** Share of frames slower than 50 ms (under 20 fps). */
  slowShare: number;
  seconds: number;
}

/**
 * In the page: the same scripted pan and zoom on any MapLibre map, with every frame's
 * requestAnimationFrame delta recorded while it moves. Plain JavaScript text: tsx would add
 * helpers (`__name`) to a function passed to `page.evaluate`, which the page does not have.
 */
const PAN_AND_ZOOM = `async (mapName) => {
  const map = window[mapName];
  if (!map) throw new Error('no map at window.' + mapName);
  map.jumpTo({ center: [10, 30], zoom: 2 });
  await new Promise((resolve) => map.once('idle', resolve));
  const deltas = [];
  let last = performance.now();
  let running = true;
  function tick(now) {
    deltas.push(now - last);
    last = now;
    if (running) requestAnimationFrame(tick);
  }
  const started = performance.now();
  requestAnimationFrame(tick);
  function move(start) {
    return new Promise((resolve) => {
      map.once('moveend', () => resolve());
      start();
    });
  }
  await move(() => map.easeTo({ zoom: 4, duration: 1500 }));
  await move(() => map.panBy([400, 150], { duration: 1000 }));
  await move(() => map.easeTo({ zoom: 6, duration: 1500 }));
  await move(() => map.panBy([-500, -100], { duration: 1000 }));
  await move(() => map.easeTo({ zoom: 2, center: [10, 30], duration: 1500 }));
  running = false;
  const seconds = (performance.now() - started) / 1000;
  const sorted = deltas.slice(1).sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    frames: sorted.length,
    medianMs: at(0.5),
    p95Ms: at(0.95),
    maxMs: sorted[sorted.length - 1],
    slowShare: sorted.filter((d) => d > 50).length / Math.max(1, sorted.length),
    seconds,
  };
}`;

async function panAndZoom(page: Page, mapName: string): Promise<FrameStats> {
  return (await page.evaluate(`(${PAN_AND_ZOOM})(${JSON.stringify(mapName)})`)) as FrameStats;
}

/** In the peer page: one feature edited, as the whole collection again, then as a one-feature diff. */
const EDIT_ONE = `(async () => {
  const map = window.peerMap;
  const source = map.getSource('data');
  const idle = () => new Promise((resolve) => map.once('idle', resolve));
  const data = window.peerMarks.data;
  const first = data.features[0];
  let t = performance.now();
  first.geometry = { type: 'Point', coordinates: [first.geometry.coordinates[0], first.geometry.coordinates[1] + 1] };
  source.setData(data);
  map.triggerRepaint();
  await idle();
  const setDataEditMs = performance.now() - t;
  t = performance.now();
  source.updateData({ update: [{ id: first.id, newGeometry: { type: 'Point', coordinates: [0, 0] } }] });
  map.triggerRepaint();
  await idle();
  return { setDataEditMs, updateDataEditMs: performance.now() - t };
})()`;

interface MeridianRun {
  joinedMs: number;
  drawnMs: number;
  frames: FrameStats;
  /** The same pan and zoom with the map's own label layers hidden: what the labels cost. */
  framesWithoutLabels: FrameStats;
}

async function measureMeridian(browser: Browser, link: string, run: number): Promise<MeridianRun> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript(() => {
    localStorage.setItem('meridian.identity', JSON.stringify({ name: 'Bench', deviceId: 'bench-device' }));
    const marks: Record<string, number> = {};
    (window as unknown as { __marks: Record<string, number> }).__marks = marks;
    new MutationObserver(() => {
      const status = document.querySelector('[data-testid=connection-status]');
      if (!marks.joined && status?.getAttribute('data-status') === 'joined') marks.joined = performance.now();
    }).observe(document, { subtree: true, attributes: true, childList: true });
  });
  const page = await context.newPage();
  try {
    await page.goto(`${link}&debug#2/30/10`);
    await page
      .locator(`[data-testid=map][data-idle-feature-count="${FEATURES}"]`)
      .waitFor({ timeout: 300_000 });
    const drawnMs = await page.evaluate(() => performance.now());
    const joinedMs = await page.evaluate(
      () => (window as unknown as { __marks: Record<string, number> }).__marks.joined ?? Number.NaN,
    );
    await page.screenshot({ path: path.join(shots, `bench-render-meridian-${run}.png`) });
    console.log(
      `meridian run ${run}: all ${FEATURES} drawn ${ms(drawnMs)} after navigation (joined ${ms(joinedMs)})`,
    );
    const frames = await panAndZoom(page, 'meridianMap');
    await page.evaluate(`(() => {
      const map = window.meridianMap;
      for (const id of ['meridian-shape-labels', 'meridian-point-labels', 'meridian-cluster-count'])
        if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', 'none');
    })()`);
    const framesWithoutLabels = await panAndZoom(page, 'meridianMap');
    return { joinedMs, drawnMs, frames, framesWithoutLabels };
  } finally {
    await context.close();
  }
}

interface PeerRun {
  drawnMs: number;
  frames: FrameStats;
  setDataEditMs: number;
  updateDataEditMs: number;
}

async function measurePeer(browser: Browser, url: string, run: number): Promise<PeerRun> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { peerMarks?: unknown }).peerMarks, null, {
      timeout: 300_000,
      polling: 200,
    });
    const drawnMs = await page.evaluate(
      () => (window as unknown as { peerMarks: { drawnMs: number } }).peerMarks.drawnMs,
    );
    await page.screenshot({ path: path.join(shots, `bench-render-peer-${run}.png`) });
    const frames = await panAndZoom(page, 'peerMap');
    const edits = (await page.evaluate(EDIT_ONE)) as { setDataEditMs: number; updateDataEditMs: number };
    return { drawnMs, frames, ...edits };
  } finally {
    await context.close();
  }
}

const frameLine = (f: FrameStats) =>
  `${f.frames} frames in ${f.seconds.toFixed(1)} s; frame time median ${f.medianMs.toFixed(1)} ms, ` +
  `p95 ${f.p95Ms.toFixed(1)} ms, max ${f.maxMs.toFixed(0)} ms; ${(f.slowShare * 100).toFixed(1)} % over 50 ms`;

async function main(): Promise<void> {
  const features = generate(FEATURES);
  console.log(
    `load average at the start: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log('building (if stale) and starting one realtime node + web server…');
  const cluster = await startBenchCluster(webDir, repoRoot, logDir);
  const peer = await startPeerServer(webDir, repoRoot, features);
  const browser = await launchBrowser();
  try {
    const [realtimeUrl = '', webUrl = ''] = [cluster.realtime[0], cluster.web[0]];
    const map = await createMap(realtimeUrl, 'Rendering bench');
    const seedStart = Date.now();
    await seed(realtimeUrl, map.id, map.editKey, features);
    console.log(`seeded ${FEATURES} features in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
    const link = mapLink(webUrl, map.id, map.editKey);

    const meridian: MeridianRun[] = [];
    const plain: PeerRun[] = [];
    // Alternate, so load from other work on the machine falls on both alike.
    for (let run = 1; run <= RUNS; run++) {
      const m = await measureMeridian(browser, link, run);
      meridian.push(m);
      console.log(
        `meridian run ${run}: joined ${ms(m.joinedMs)}, all drawn ${ms(m.drawnMs)} after navigation; ${frameLine(m.frames)}; ` +
          `labels hidden: ${frameLine(m.framesWithoutLabels)}`,
      );
      const p = await measurePeer(browser, peer.url, run);
      plain.push(p);
      console.log(
        `peer run ${run}: drawn ${ms(p.drawnMs)} after its data arrived; ${frameLine(p.frames)}; ` +
          `one edit: setData ${ms(p.setDataEditMs)}, updateData ${ms(p.updateDataEditMs)}`,
      );
    }
    console.log(
      `machine: ${cpus().length} CPUs (${cpus()[0]?.model}), load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at the end`,
    );
    console.log(
      `\nmedians of ${RUNS} runs, ${FEATURES} features, viewport ${VIEWPORT.width}×${VIEWPORT.height}:`,
    );
    console.log(
      `meridian: snapshot applied → all drawn ${ms(median(meridian.map((m) => m.drawnMs - m.joinedMs)))}; ` +
        `navigation → all drawn ${ms(median(meridian.map((m) => m.drawnMs)))}; ` +
        `frame median ${median(meridian.map((m) => m.frames.medianMs)).toFixed(1)} ms, ` +
        `p95 ${median(meridian.map((m) => m.frames.p95Ms)).toFixed(1)} ms, ` +
        `frames over 50 ms ${(median(meridian.map((m) => m.frames.slowShare)) * 100).toFixed(1)} %; ` +
        `labels hidden: frame median ${median(meridian.map((m) => m.framesWithoutLabels.medianMs)).toFixed(1)} ms`,
    );
    console.log(
      `peer:     data → all drawn ${ms(median(plain.map((p) => p.drawnMs)))}; ` +
        `frame median ${median(plain.map((p) => p.frames.medianMs)).toFixed(1)} ms, ` +
        `p95 ${median(plain.map((p) => p.frames.p95Ms)).toFixed(1)} ms, ` +
        `frames over 50 ms ${(median(plain.map((p) => p.frames.slowShare)) * 100).toFixed(1)} %; ` +
        `one edit: setData ${ms(median(plain.map((p) => p.setDataEditMs)))}, updateData ${ms(median(plain.map((p) => p.updateDataEditMs)))}`,
    );
  } finally {
    await browser.close();
    await peer.close();
    await cluster.stop();
  }
}

await main();
