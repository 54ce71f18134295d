/**
 * Measures, in headless Chromium against the production build and a real realtime node:
 * - how long 10,000 features take to appear after joining a map (snapshot received → map idle
 *   with all of them drawn), and from navigation start;
 * - the JavaScript the map page loads, gzipped: first load (the page's own script tags) and
 *   everything including the lazily loaded map chunk.
 * A report, not a test: `npm run bench:features -w @meridian/web [-- --features 10000 --runs 3]`.
 */
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Feature } from '@meridian/protocol';
import type { Browser } from 'playwright-core';
import { createMap, joinedClient, mapLink, sessionToken } from '../e2e/support/api.ts';
import { launchBrowser } from '../e2e/support/browser.ts';
import { argument, artifactsDir, median, startBenchStack } from './bench-stack.ts';

const FEATURES = argument('--features') || 10_000;
const RUNS = argument('--runs') || 3;
// Below the service's limit of queued requests per connection (256).
const SEED_BATCH = 200;

/** Seed through the real service, in acknowledged batches (the op log gets every one). */
async function seed(realtimeUrl: string, mapId: string, editKey: string): Promise<void> {
  const client = await joinedClient(realtimeUrl, {
    mapId,
    token: await sessionToken(realtimeUrl, mapId, editKey),
    user: { name: 'Seeder', color: '#444444' },
    // Seeding waits for each batch's acks, so the batch itself may leave at once.
    resendPacing: { window: SEED_BATCH, burst: SEED_BATCH, perSecond: 1000 },
  });
  const palette = ['#d92d20', '#15803d', '#1d4ed8', '#6d28d9', '#dc6803'];
  for (let start = 0; start < FEATURES; start += SEED_BATCH) {
    const acked = new Promise<void>((resolve) => {
      let waiting = Math.min(SEED_BATCH, FEATURES - start);
      const settle = () => {
        if (--waiting > 0) return;
        offAck();
        offReject();
        resolve();
      };
      const offAck = client.on('ack', settle);
      const offReject = client.on('opRejected', (event) => event.final && settle());
    });
    for (let i = start; i < Math.min(start + SEED_BATCH, FEATURES); i++) {
      // Spread over the inhabited world, deterministic so runs compare.
      const lng = -170 + ((i * 7919) % 34000) / 100;
      const lat = -55 + ((i * 104729) % 13000) / 100;
      const geometry: Feature['geometry'] = { type: 'Point', coordinates: [lng, lat] };
      client.createFeature(geometry, {
        title: `Point ${i}`,
        color: palette[i % palette.length] ?? '#000000',
      });
    }
    await Promise.race([
      acked,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`seeding stalled (status ${client.status.kind})`)), 120_000),
      ),
    ]);
    process.stdout.write(`\rseeded ${Math.min(start + SEED_BATCH, FEATURES)}`);
  }
  process.stdout.write('\n');
  client.close();
}

interface Marks {
  joined?: number;
  sourced?: number;
  drawn?: number;
  count?: number;
}

/** Open the map in a fresh context (a returning visitor) and time it; keeps the scripts it loaded. */
async function measureOnce(
  browser: Browser,
  link: string,
  scripts: Map<string, Buffer>,
  shot: string,
): Promise<Marks> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // The name is already known, so nothing waits on a person typing.
  await context.addInitScript(() => {
    localStorage.setItem('meridian.identity', JSON.stringify({ name: 'Bench', deviceId: 'bench-device' }));
    const marks: Record<string, number> = {};
    (window as unknown as { __marks: Record<string, number> }).__marks = marks;
    new MutationObserver(() => {
      const status = document.querySelector('[data-testid=connection-status]');
      if (!marks.joined && status?.getAttribute('data-status') === 'joined') marks.joined = performance.now();
      const mapElement = document.querySelector('[data-testid=map]');
      if (!marks.sourced && Number(mapElement?.getAttribute('data-feature-count') ?? 0) > 0)
        marks.sourced = performance.now();
      const idle = Number(mapElement?.getAttribute('data-idle-feature-count') ?? 0);
      if (!marks.drawn && idle > 0) {
        marks.drawn = performance.now();
        marks.count = idle;
      }
    }).observe(document, { subtree: true, attributes: true, childList: true });
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`page: ${message.text()}`);
  });
  page.on('response', async (response) => {
    if (response.request().resourceType() === 'script' || response.url().endsWith('.mjs')) {
      scripts.set(response.url(), await response.body().catch(() => Buffer.alloc(0)));
    }
  });
  try {
    await page.goto(link);
    const map = page.getByTestId('map');
    try {
      await page
        .locator(`[data-testid=map][data-idle-feature-count="${FEATURES}"]`)
        .waitFor({ timeout: 180_000 });
    } catch (error) {
      const status = await page.getByTestId('connection-status').textContent();
      const counts = `${await map.getAttribute('data-feature-count')} sourced, ${await map.getAttribute('data-idle-feature-count')} drawn`;
      await page.screenshot({ path: path.join(artifactsDir, 'bench-failed.png') });
      throw new Error(`the features never all appeared (status "${status}", ${counts})`, { cause: error });
    }
    await page.screenshot({ path: shot });
    return await page.evaluate(() => (window as unknown as { __marks: Marks }).__marks);
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  const cluster = await startBenchStack();
  const browser = await launchBrowser();
  try {
    const { realtimeUrl, webUrl } = cluster;
    const map = await createMap(realtimeUrl, 'Ten thousand');
    const seedStart = Date.now();
    await seed(realtimeUrl, map.id, map.editKey);
    console.log(`seeded ${FEATURES} features in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

    const link = mapLink(webUrl, map.id, map.editKey);
    const scripts = new Map<string, Buffer>();
    const runs: Marks[] = [];
    for (let run = 0; run < RUNS; run++) {
      const marks = await measureOnce(browser, link, scripts, path.join(artifactsDir, 'bench-10k.png'));
      runs.push(marks);
      console.log(
        `run ${run + 1}: ${marks.count} features; ms after navigation start: joined (snapshot applied) ` +
          `${marks.joined?.toFixed(0)}, handed to MapLibre ${marks.sourced?.toFixed(0)}, drawn (map idle) ${marks.drawn?.toFixed(0)}`,
      );
    }
    const afterJoin = runs.map((m) => (m.drawn ?? Number.NaN) - (m.joined ?? Number.NaN));
    const afterNavigation = runs.map((m) => m.drawn ?? Number.NaN);
    console.log(
      `time for ${FEATURES} features to appear after join (median of ${RUNS}): ${median(afterJoin).toFixed(0)} ms`,
    );
    console.log(`… and after navigation start (median): ${median(afterNavigation).toFixed(0)} ms`);

    const html = await (await fetch(link)).text();
    const firstLoad = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map(
      (m) => new URL(m[1] ?? '', webUrl).href,
    );
    const gz = (urls: string[]) =>
      urls.reduce((sum, url) => sum + gzipSync(scripts.get(url) ?? Buffer.alloc(0)).length, 0);
    const all = [...scripts.keys()];
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
    console.log(
      `first-load JS of the map page (its script tags, gzipped): ${kib(gz(firstLoad))} in ${firstLoad.length} files`,
    );
    console.log(
      `all JS of the map page incl. the lazy map chunk (gzipped): ${kib(gz(all.filter((u) => !u.endsWith('.mjs'))))}`,
    );
    console.log(`MapLibre worker (gzipped): ${kib(gz(all.filter((u) => u.endsWith('.mjs'))))}`);
  } finally {
    await browser.close();
    await cluster.stop();
  }
}

await main();
