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
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import type { Feature } from '@meridian/protocol';
import type { Browser, Page } from 'playwright-core';
import { createMap, joinedClient, mapLink, sessionToken } from '../e2e/support/api.ts';
import { launchBrowser } from '../e2e/support/browser.ts';
import { startFixtureServer } from '../e2e/support/fixture-server.ts';
import { offlineStyle } from '../src/basemap/style.ts';
import { argument, median, repoRoot, artifactsDir as shots, startBenchStack, webDir } from './bench-stack.ts';

const FEATURES = argument('--features') || 100_000;
const RUNS = argument('--runs') || 2;
const VIEWPORT = { width: 1280, height: 800 };

type NewFeature = Feature;

/** Deterministic, spread over the inhabited world: 85 % points, 10 % small polygons, 5 % lines. */
function generate(count: number): NewFeature[] {
  const out: NewFeature[] = [];
  for (let i = 0; i < count; i++) {
    const lng = -170 + ((i * 7919) % 34000) / 100;
    const lat = -55 + ((i * 104_729) % 13000) / 100;
    const properties = { title: `Place ${i}`, ref: `R-${i}`, households: i % 40 };
    const common = { type: 'Feature' as const, id: `f${i}`, version: 0, properties };
    const kind = i % 20;
    if (kind < 17) out.push({ ...common, geometry: { type: 'Point', coordinates: [lng, lat] } });
    else if (kind < 19)
      out.push({
        ...common,
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [lng, lat],
              [lng + 0.05, lat],
              [lng + 0.05, lat + 0.05],
              [lng, lat + 0.05],
              [lng, lat],
            ],
          ],
        },
      });
    else
      out.push({
        ...common,
        geometry: {
          type: 'LineString',
          coordinates: [
            [lng, lat],
            [lng + 0.1, lat + 0.05],
            [lng + 0.2, lat],
            [lng + 0.3, lat + 0.05],
          ],
        },
      });
  }
  return out;
}

async function seed(realtimeUrl: string, mapId: string, editKey: string, features: NewFeature[]) {
  const client = await joinedClient(realtimeUrl, {
    mapId,
    token: await sessionToken(realtimeUrl, mapId, editKey),
    user: { name: 'Seeder', color: '#444444' },
  });
  await client.importFeatures(features, {
    onProgress: (p) => process.stdout.write(`\rseeded ${p.committedFeatures} / ${p.totalFeatures}`),
  });
  process.stdout.write('\n');
  client.close();
}

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

/**
 * The peer: plain MapLibre on a bare page, over the same offline basemap as Meridian's, with the
 * same features in one unclustered GeoJSON source with default options.
 */
const peerHtml = (style: unknown) => `<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/maplibre-gl.css"><style>html,body,#map{margin:0;height:100%}</style></head>
<body><div id="map"></div><script type="module">
import * as maplibregl from '/maplibre-gl.mjs';
maplibregl.setWorkerUrl(location.origin + '/maplibre-gl-worker.mjs');
const map = new maplibregl.Map({ container: 'map', center: [10, 30], zoom: 2,
  style: ${JSON.stringify(style)} });
window.peerMap = map;
map.on('load', async () => {
  const t0 = performance.now();
  const data = await (await fetch('/data.json')).json();
  const t1 = performance.now();
  map.addSource('data', { type: 'geojson', data });
  map.addLayer({ id: 'fills', type: 'fill', source: 'data', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#2563eb', 'fill-opacity': 0.28 } });
  map.addLayer({ id: 'lines', type: 'line', source: 'data', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': '#2563eb', 'line-width': 4 } });
  map.addLayer({ id: 'points', type: 'circle', source: 'data', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-color': '#2563eb', 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  map.once('idle', () => { window.peerMarks = { fetchedMs: t1 - t0, drawnMs: performance.now() - t1, data }; });
});
</script></body></html>`;

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

const ms = (value: number) => `${value.toFixed(0)} ms`;
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
  const cluster = await startBenchStack();
  const dist = path.join(repoRoot, 'node_modules', 'maplibre-gl', 'dist');
  // Ids as Meridian has them, so the peer's updateData finds its feature.
  const peerData = JSON.stringify({
    type: 'FeatureCollection',
    features: features.map(({ version: _version, ...f }) => f),
  });
  let html = '';
  const peer = await startFixtureServer([
    (_request, response, url) => {
      const types: Record<string, string> = { '.mjs': 'text/javascript', '.css': 'text/css' };
      if (url.pathname === '/') response.writeHead(200, { 'Content-Type': 'text/html' }).end(html);
      else if (url.pathname === '/basemap-overview.geojson')
        response
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(readFileSync(path.join(webDir, 'public', 'basemap-overview.geojson')));
      else if (url.pathname === '/data.json')
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(peerData);
      else if (/^\/maplibre-gl[\w-]*\.(mjs|css)$/.test(url.pathname))
        response
          .writeHead(200, { 'Content-Type': types[path.extname(url.pathname)] ?? 'text/plain' })
          .end(readFileSync(path.join(dist, url.pathname.slice(1))));
      else return false;
      return true;
    },
  ]);
  html = peerHtml(offlineStyle(`${peer.url}/basemap-overview.geojson`));
  const browser = await launchBrowser();
  try {
    const { realtimeUrl, webUrl } = cluster;
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
