/**
 * Joining a big map in a real browser: how long until the first of its features is drawn, and
 * until all of them are, in headless Chromium (SwiftShader: WebGL on the CPU), side by side:
 * - Meridian: the production build and one realtime node (Postgres), a map of N generated
 *   features seeded with `features.import`; the map URL opened in a fresh browser context.
 *   Cold: nobody on the map for longer than the node keeps a read snapshot. Warm: someone (a
 *   protocol client) joined just before and stays. Each also with `?featureFlush=paced` (big
 *   changes paced, a streaming join not drawn in doubling steps) and `?featureFlush=frame` (one
 *   source update per animation frame), the map's behaviour before each of those changes.
 * - the peer: plain MapLibre loading the same features from a static JSON file.
 * Measured from navigation start: first features drawn (MapLibre rendered at least one of the
 * map's features), all drawn (the map idle with all N in its sources); bytes on the wire (HTTP
 * bodies as received, WebSocket payloads as delivered to the page).
 * A report, not a test: `npm run bench:join-browser -w @meridian/web [-- --features 10000,100000 --runs 1
 * --variants steps-cold,steps-warm,paced-cold,paced-warm,frame-cold,frame-warm,peer --timeout-s 600
 * --profile]`.
 * `--profile` records a Chromium trace of each Meridian page (V8 CPU samples of its main thread and
 * MapLibre's workers) into test-artifacts/ and prints where the time went (`trace-summary.ts`).
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { createMap, mapLink } from '../e2e/support/api.ts';
import { launchBrowser } from '../e2e/support/browser.ts';
import { protocolPerson } from '../e2e/support/protocol-person.ts';
import { argument, generate, median, ms, seed, startBenchCluster, startPeerServer } from './bench-support.ts';
import { summarizeTrace, TRACE_CATEGORIES } from './trace-summary.ts';

const listArgument = (name: string, fallback: number[]) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : (process.argv[at + 1] ?? '').split(',').map(Number).filter(Boolean);
};
const SIZES = listArgument('--features', [10_000, 100_000]);
const RUNS = argument('--runs') || 1;
/** A page that has not drawn everything by then is reported as it stands (what it drew, its status). */
const PAGE_TIMEOUT_MS = (argument('--timeout-s') || 600) * 1000;
const VARIANTS = new Set(
  process.argv.includes('--variants')
    ? (process.argv[process.argv.indexOf('--variants') + 1] ?? '').split(',')
    : ['steps-cold', 'steps-warm', 'paced-cold', 'paced-warm', 'frame-cold', 'frame-warm', 'peer'],
);
const VIEWPORT = { width: 1280, height: 800 };
const PROFILE = process.argv.includes('--profile');
/** Longer than the realtime node keeps a read snapshot after the last join (5 s). */
const COLD_WAIT_MS = 7_000;
const MERIDIAN_LAYERS = [
  'meridian-clusters',
  'meridian-points',
  'meridian-point-icons',
  'meridian-fills',
  'meridian-outlines',
  'meridian-lines',
];

const webDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = path.resolve(webDir, '../..');
const logDir = path.join(webDir, 'test-artifacts', 'bench-logs');
const shots = path.join(webDir, 'test-artifacts');
mkdirSync(logDir, { recursive: true });

interface JoinRun {
  firstDrawnMs: number;
  allDrawnMs: number;
  /** HTTP bodies as received (compressed if served so), WebSocket payloads as the page got them. */
  httpBytes: number;
  wsBytes: number;
  wsExtensions: string;
  /** Set when the page had not drawn all features within PAGE_TIMEOUT_MS: where it stood. */
  timedOut?: string;
}

/** Count what crosses the wire for this page through the DevTools protocol. */
async function countBytes(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const counted = { httpBytes: 0, wsBytes: 0, wsExtensions: '' };
  cdp.on('Network.loadingFinished', (event) => {
    counted.httpBytes += event.encodedDataLength;
  });
  cdp.on('Network.webSocketFrameReceived', (event) => {
    const { opcode, payloadData } = event.response;
    counted.wsBytes +=
      opcode === 1 ? Buffer.byteLength(payloadData) : Buffer.from(payloadData, 'base64').length;
  });
  cdp.on('Network.webSocketHandshakeResponseReceived', (event) => {
    const headers = event.response.headers as Record<string, string>;
    counted.wsExtensions =
      headers['Sec-WebSocket-Extensions'] ?? headers['sec-websocket-extensions'] ?? 'none';
  });
  return counted;
}

/**
 * In the Meridian page, before anything of it runs: the map's handle (`?debug` sets
 * `window.meridianMap`) is caught as it is set, and its first render that shows one of the map's
 * features is marked; the map's `data-idle-feature-count` reaching N marks all drawn.
 */
const MERIDIAN_MARKS = `(() => {
  const marks = {};
  window.__marks = marks;
  localStorage.setItem('meridian.identity', JSON.stringify({ name: 'Bench', deviceId: 'bench-device' }));
  let handle;
  Object.defineProperty(window, 'meridianMap', {
    configurable: true,
    get: () => handle,
    set: (map) => {
      handle = map;
      if (!map) return;
      const onRender = () => {
        const layers = LAYERS.filter((id) => map.getLayer(id));
        if (layers.length === 0 || map.queryRenderedFeatures({ layers }).length === 0) return;
        marks.firstDrawnAt = performance.now();
        map.off('render', onRender);
      };
      map.on('render', onRender);
    },
  });
  new MutationObserver(() => {
    const element = document.querySelector('[data-testid=map]');
    if (!marks.allDrawnAt && element?.getAttribute('data-idle-feature-count') === String(COUNT))
      marks.allDrawnAt = performance.now();
  }).observe(document, { subtree: true, attributes: true, childList: true });
})()`;

async function measureMeridian(
  browser: Browser,
  url: string,
  count: number,
  label: string,
): Promise<JoinRun> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript(
    MERIDIAN_MARKS.replace('LAYERS', JSON.stringify(MERIDIAN_LAYERS)).replace('COUNT', String(count)),
  );
  const page = await context.newPage();
  const tracePath = path.join(shots, `trace-join-${label}.json`);
  try {
    if (PROFILE) await browser.startTracing(page, { path: tracePath, categories: TRACE_CATEGORIES });
    const bytes = await countBytes(page);
    await page.goto(url);
    const drawn = await page
      .waitForFunction(
        () => (window as unknown as { __marks: { allDrawnAt?: number } }).__marks.allDrawnAt,
        null,
        { timeout: PAGE_TIMEOUT_MS, polling: 100 },
      )
      .then(
        () => true,
        () => false,
      );
    const marks = (await page.evaluate('window.__marks')) as { firstDrawnAt?: number; allDrawnAt?: number };
    if (PROFILE) {
      await browser.stopTracing();
      console.log(summarizeTrace(tracePath));
    }
    await page.screenshot({ path: path.join(shots, `bench-join-${label}.png`) });
    const idleCount = await page.getByTestId('map').getAttribute('data-idle-feature-count');
    const status = await page.getByTestId('connection-status').textContent();
    const timedOut = drawn
      ? undefined
      : `not all drawn after ${PAGE_TIMEOUT_MS / 1000} s: last idle with ${idleCount} features, status "${status}"`;
    return {
      firstDrawnMs: marks.firstDrawnAt ?? Number.NaN,
      allDrawnMs: marks.allDrawnAt ?? Number.NaN,
      ...bytes,
      ...(timedOut ? { timedOut } : {}),
    };
  } finally {
    await context.close();
  }
}

async function measurePeer(browser: Browser, url: string, label: string): Promise<JoinRun> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  try {
    const bytes = await countBytes(page);
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { peerMarks?: unknown }).peerMarks, null, {
      timeout: PAGE_TIMEOUT_MS,
      polling: 100,
    });
    const marks = (await page.evaluate(
      '({ firstDrawnAt: window.peerMarks.firstDrawnAt, allDrawnAt: window.peerMarks.allDrawnAt })',
    )) as { firstDrawnAt: number; allDrawnAt: number };
    await page.screenshot({ path: path.join(shots, `bench-join-${label}.png`) });
    return { firstDrawnMs: marks.firstDrawnAt, allDrawnMs: marks.allDrawnAt, ...bytes };
  } finally {
    await context.close();
  }
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const line = (name: string, runs: JoinRun[]) => {
  const last = runs.at(-1);
  return (
    `${name.padEnd(34)} first drawn ${ms(median(runs.map((r) => r.firstDrawnMs))).padStart(9)} · ` +
    `all drawn ${ms(median(runs.map((r) => r.allDrawnMs))).padStart(9)} · ` +
    `http ${mb(last?.httpBytes ?? 0)} · websocket ${mb(last?.wsBytes ?? 0)} (${last?.wsExtensions || 'no socket'})` +
    (runs.length > 1
      ? ` · runs ${runs.map((r) => `${ms(r.firstDrawnMs)}/${ms(r.allDrawnMs)}`).join(', ')}`
      : '') +
    runs.flatMap((r) => (r.timedOut ? [` · ${r.timedOut}`] : [])).join('')
  );
};

async function main(): Promise<void> {
  console.log(`load average at the start: ${load()}`);
  console.log('building (if stale) and starting one realtime node + web server…');
  const cluster = await startBenchCluster(webDir, repoRoot, logDir);
  const browser = await launchBrowser();
  const report: string[] = [];
  try {
    const [realtimeUrl = '', webUrl = ''] = [cluster.realtime[0], cluster.web[0]];
    for (const count of SIZES) {
      const features = generate(count);
      const map = await createMap(realtimeUrl, `Join bench ${count}`);
      const seedStart = Date.now();
      await seed(realtimeUrl, map.id, map.editKey, features);
      console.log(`seeded ${count} features in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
      const peer = await startPeerServer(webDir, repoRoot, features);
      const link = `${mapLink(webUrl, map.id, map.editKey)}&debug`;
      const results = new Map<string, JoinRun[]>();
      const record = (name: string, run: JoinRun) => {
        results.set(name, [...(results.get(name) ?? []), run]);
        console.log(`  ${line(name, [run])}  (load ${load()})`);
      };
      try {
        for (let run = 1; run <= RUNS; run++) {
          // Alternate, so load from other work on the machine falls on all of them alike.
          for (const [variant, query, tag] of [
            ['Meridian', '', 'steps'],
            ['Meridian, paced, no doubling steps (before)', '&featureFlush=paced', 'paced'],
            ['Meridian, one update a frame (before that)', '&featureFlush=frame', 'frame'],
          ] as const) {
            if (VARIANTS.has(`${tag}-cold`)) {
              await new Promise((resolve) => setTimeout(resolve, COLD_WAIT_MS));
              const label = `${count}-${tag}-cold-${run}`;
              record(`${variant}, cold`, await measureMeridian(browser, `${link}${query}`, count, label));
            }
            if (VARIANTS.has(`${tag}-warm`)) {
              const someone = await protocolPerson(realtimeUrl, map.id, map.editKey, 'Someone');
              try {
                const label = `${count}-${tag}-warm-${run}`;
                record(`${variant}, warm`, await measureMeridian(browser, `${link}${query}`, count, label));
              } finally {
                someone.close();
              }
            }
          }
          if (VARIANTS.has('peer'))
            record(
              'plain MapLibre, static JSON (peer)',
              await measurePeer(browser, peer.url, `${count}-peer-${run}`),
            );
        }
      } finally {
        await peer.close();
      }
      report.push(
        `\n${count.toLocaleString('en')} features, ${RUNS} run(s), medians, from navigation start:`,
      );
      for (const [name, runs] of results) report.push(line(name, runs));
    }
    console.log(report.join('\n'));
    console.log(`\nmachine: ${cpus().length} CPUs (${cpus()[0]?.model}), load average ${load()} at the end`);
  } finally {
    await browser.close();
    await cluster.stop();
  }
}

await main();
