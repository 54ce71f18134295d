/**
 * A big import in real browsers, as issue #11 measures it: from the importer's drop of a GeoJSON
 * file on the map to the last feature visible to a second person, in headless Chromium
 * (SwiftShader: WebGL drawn on the CPU). Ada and Bo each have a page on the production build with
 * one realtime node (Postgres); Ada drops the file through the real file input.
 * Measured from the drop: Ada's view holding every feature (her optimistic copy), Ada's last chunk
 * committed (her import panel closes), Bo's list holding every feature, Bo's map idle with all of
 * them drawn. Side by side in the same run, the floor: plain MapLibre on a bare page reading the
 * same features from a static JSON file (no collaboration at all).
 * `--profile [bo]` records V8's CPU profile of Ada's page (or Bo's; main thread) during the import and prints
 * where its time went (self time by function); the .cpuprofile lands in test-artifacts/ (open it in
 * Chromium's DevTools, Performance tab).
 * A report, not a test: `npm run bench:import-browser -w @meridian/web [-- --features 100000 --profile --timeout-s 600]`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CDPSession, Page } from 'playwright-core';
import { createMap, mapLink } from '../e2e/support/api.ts';
import { featureCollection } from '../e2e/support/big-file.ts';
import { launchBrowser, newPerson, openMap, type Person } from '../e2e/support/browser.ts';
import { argument, startBenchCluster, startPeerServer } from './bench-support.ts';

const FEATURES = argument('--features') || 100_000;
const TIMEOUT_MS = (argument('--timeout-s') || 600) * 1000;
const PROFILE = process.argv.includes('--profile');
/** Whose page `--profile` records: Ada's (the importer, by default) or Bo's (`--profile bo`). */
const PROFILED = process.argv[process.argv.indexOf('--profile') + 1] === 'bo' ? 'bo' : 'ada';
/** `--trace`: a Chromium timeline trace of Ada's page (tasks, layout, paint, GPU) into test-artifacts/. */
const TRACE = process.argv.includes('--trace');
/**
 * Counts, in each page, what its WebGL contexts were asked to do (draw calls, buffer uploads and
 * their bytes) and its animation frames: printed with the progress, they show whether a page is
 * redrawing the map and how often.
 */
const GL_COUNTERS = `(() => {
  const counts = { frames: 0, draws: 0, uploads: 0, uploadBytes: 0 };
  window.__gl = counts;
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (callback) => raf((t) => { counts.frames++; callback(t); });
  for (const proto of [WebGLRenderingContext.prototype, WebGL2RenderingContext.prototype]) {
    const draw = proto.drawElements;
    proto.drawElements = function (...args) { counts.draws++; return draw.apply(this, args); };
    const upload = proto.bufferData;
    proto.bufferData = function (target, data, ...rest) {
      counts.uploads++;
      counts.uploadBytes += typeof data === 'number' ? data : (data?.byteLength ?? 0);
      return upload.call(this, target, data, ...rest);
    };
  }
})()`;
const glCounts = (page: Page) =>
  Promise.race([
    page
      .evaluate(
        "JSON.stringify({ ...window.__gl, sourceUpdates: document.querySelector('[data-testid=map]')?.dataset.sourceUpdates })",
      )
      .catch(() => 'gone'),
    new Promise((resolve) => setTimeout(() => resolve('busy'), 5_000)),
  ]);

const webDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = path.resolve(webDir, '../..');
const artifacts = path.join(webDir, 'test-artifacts');
const logDir = path.join(artifacts, 'bench-logs');
mkdirSync(logDir, { recursive: true });

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const seconds = (ms: number | undefined) =>
  ms === undefined ? 'not reached' : `${(ms / 1000).toFixed(1)} s`;

/** Ada's list count and Bo's list count and drawn count, read together. */
async function counts(ada: Page, bo: Page) {
  const read = (page: Page, selector: string, attribute: string) =>
    page
      .locator(selector)
      .getAttribute(attribute, { timeout: 5_000 })
      .then(Number)
      .catch(() => Number.NaN);
  const [adaListed, adaSending, boListed, boDrawn] = await Promise.all([
    read(ada, '[data-testid=feature-list]', 'data-count'),
    ada
      .locator('[data-testid=import-panel]')
      .count()
      .catch(() => 1),
    read(bo, '[data-testid=feature-list]', 'data-count'),
    read(bo, '[data-testid=map]', 'data-idle-feature-count'),
  ]);
  return { adaListed, adaSending: adaSending > 0, boListed, boDrawn };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Self time per function (name and file), the top `limit`, from a V8 CPU profile. */
function topSelfTimes(
  profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] },
  limit = 25,
) {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const frame = byNode.get(id)?.callFrame;
    const file = frame?.url.split('/').pop()?.split('?')[0] ?? '';
    const key = `${frame?.functionName || '(anonymous)'} ${file}${file ? `:${frame?.lineNumber}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + delta);
  });
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, limit);
  return { totalMs: total / 1000, rows: rows.map(([name, us]) => ({ name, ms: us / 1000 })) };
}

async function startProfile(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
  await cdp.send('Profiler.start');
  return cdp;
}

async function measureMeridian(webUrl: string, realtimeUrl: string, file: string) {
  const browser = await launchBrowser();
  try {
    const ada: Person = await newPerson(browser, 'Ada');
    const bo: Person = await newPerson(browser, 'Bo');
    for (const person of [ada, bo]) await person.context.addInitScript(GL_COUNTERS);
    const map = await createMap(realtimeUrl, 'Import bench');
    await openMap(ada, mapLink(webUrl, map.id, map.editKey));
    await openMap(bo, mapLink(webUrl, map.id, map.editKey));
    const cdp = PROFILE ? await startProfile(PROFILED === 'bo' ? bo.page : ada.page) : null;
    const tracePath = path.join(artifacts, `trace-import-ada-${FEATURES}.json`);
    if (TRACE)
      await browser.startTracing(ada.page, {
        path: tracePath,
        categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'v8', 'gpu'],
      });
    const marks: { adaListed?: number; adaCommitted?: number; boListed?: number; boDrawn?: number } = {};
    const dropped = Date.now();
    await ada.page.getByTestId('import-file').setInputFiles(file, { timeout: TIMEOUT_MS });
    let last = await counts(ada.page, bo.page);
    let lastPrinted = 0;
    while (Date.now() - dropped < TIMEOUT_MS && marks.boDrawn === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      last = await counts(ada.page, bo.page);
      const at = Date.now() - dropped;
      if (at - lastPrinted >= 10_000) {
        lastPrinted = at;
        console.info(
          `  ${seconds(at)}: Ada lists ${last.adaListed}, Bo lists ${last.boListed}, drawn ${last.boDrawn}; ` +
            `Ada's WebGL ${await glCounts(ada.page)}, Bo's ${await glCounts(bo.page)}`,
        );
      }
      if (marks.adaListed === undefined && last.adaListed >= FEATURES) marks.adaListed = at;
      if (marks.adaCommitted === undefined && marks.adaListed !== undefined && !last.adaSending)
        marks.adaCommitted = at;
      if (marks.boListed === undefined && last.boListed >= FEATURES) marks.boListed = at;
      if (marks.boListed !== undefined && last.boDrawn === last.boListed) marks.boDrawn = at;
    }
    if (cdp) {
      const { profile } = (await cdp.send('Profiler.stop')) as {
        profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
      };
      const out = path.join(artifacts, `bench-import-${PROFILED}-${FEATURES}.cpuprofile`);
      writeFileSync(out, JSON.stringify(profile));
      const { totalMs, rows } = topSelfTimes(profile);
      console.info(`${PROFILED}'s page, main thread: ${(totalMs / 1000).toFixed(1)} s profiled (${out})`);
      for (const row of rows) console.info(`  ${(row.ms / 1000).toFixed(2).padStart(7)} s  ${row.name}`);
    }
    if (TRACE) {
      await browser.stopTracing();
      console.info(`Ada's page, timeline trace: ${tracePath}`);
    }
    // A page still busy with the import may not answer within the screenshot's timeout.
    for (const person of [ada, bo])
      await person.page
        .screenshot({ path: path.join(artifacts, `bench-import-${person.name.toLowerCase()}.png`) })
        .catch(() => console.info(`(no screenshot of ${person.name}'s page: too busy)`));
    return { marks, last, errors: [...ada.errors, ...bo.errors] };
  } finally {
    await browser.close();
  }
}

/** The floor: plain MapLibre on a bare page, the same features in one source, from a file. */
async function measurePeer(url: string) {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    const started = Date.now();
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { peerMarks?: unknown }).peerMarks, null, {
      timeout: TIMEOUT_MS,
      polling: 100,
    });
    const drawnMs = (await page.evaluate('window.peerMarks.drawnMs')) as number;
    return { drawnMs, pageMs: Date.now() - started };
  } finally {
    await browser.close();
  }
}

async function main() {
  console.info(
    `import in the browser: ${FEATURES.toLocaleString('en')} features, ${cpus().length} cores, load ${load()}`,
  );
  const text = featureCollection(FEATURES);
  const dir = await mkdtemp(path.join(tmpdir(), 'meridian-import-bench-'));
  const file = path.join(dir, 'places.geojson');
  await writeFile(file, text);
  const cluster = await startBenchCluster(webDir, repoRoot, logDir);
  try {
    const [webUrl = '', realtimeUrl = ''] = [cluster.web[0], cluster.realtime[0]];
    console.info(`file ${(text.length / 1e6).toFixed(1)} MB; load ${load()}`);
    const meridian = await measureMeridian(webUrl, realtimeUrl, file);
    const { marks, last } = meridian;
    console.info(
      `Meridian (load ${load()}): Ada lists all ${seconds(marks.adaListed)} · Ada's import committed ${seconds(marks.adaCommitted)} · ` +
        `Bo lists all ${seconds(marks.boListed)} · Bo has all drawn ${seconds(marks.boDrawn)} (from the drop)` +
        (marks.boDrawn === undefined
          ? `; stood at Ada ${last.adaListed}, Bo ${last.boListed} listed / ${last.boDrawn} drawn`
          : '') +
        (meridian.errors.length ? `; page errors: ${meridian.errors.join(' | ')}` : ''),
    );
    // The peer reads the features as Meridian stores them (the file's features, ids added).
    const parsed = JSON.parse(text) as { features: Record<string, unknown>[] };
    const features = parsed.features.map((f, i) => ({ ...f, id: `f${i}`, version: 0 })) as never[];
    const peerServer = await startPeerServer(webDir, repoRoot, features);
    try {
      const peer = await measurePeer(peerServer.url);
      console.info(
        `plain MapLibre (load ${load()}): data in the page → all drawn ${seconds(peer.drawnMs)} · navigation → all drawn ${seconds(peer.pageMs)}`,
      );
    } finally {
      await peerServer.close();
    }
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
