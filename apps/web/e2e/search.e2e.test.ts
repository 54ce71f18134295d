import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMap, mapLink } from './support/api.ts';
import {
  featureItems,
  launchBrowser,
  mapCenter,
  newPerson,
  openMap,
  type Person,
  waitForMapIdle,
} from './support/browser.ts';
import { startWebServer } from './support/cluster.ts';
import { type FixtureServer, sendJson, startFixtureServer } from './support/fixture-server.ts';
import { waitForHttp } from './support/processes.ts';

const webDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = path.resolve(webDir, '../..');
const LYON = { lng: 4.8320114, lat: 45.7578137 };
const MEETING: [number, number] = [-3.7038, 40.4168];

/** A Photon-compatible geocoder on loopback: knows Lyon, fails on "fail", finds nothing else. */
async function photonFixture(): Promise<FixtureServer> {
  return startFixtureServer([
    (_request, response, url) => {
      if (url.pathname !== '/api') return false;
      const q = (url.searchParams.get('q') ?? '').toLowerCase();
      if (q === 'fail') {
        response.writeHead(500).end('boom');
        return true;
      }
      const features = 'lyon'.startsWith(q)
        ? [
            {
              type: 'Feature',
              geometry: { type: 'Point', coordinates: [LYON.lng, LYON.lat] },
              properties: { name: 'Lyon', state: 'Auvergne-Rhône-Alpes', country: 'France' },
            },
          ]
        : [];
      return sendJson(response, { type: 'FeatureCollection', features });
    },
  ]);
}

describe('search: the map’s own features and places through a configured geocoder', () => {
  const [realtime = ''] = inject('realtimeUrls');
  const artifactsDir = inject('artifactsDir');
  let geocoder: FixtureServer;
  let web: Awaited<ReturnType<typeof startWebServer>>;
  let browser: Browser;
  let ada: Person;
  let bo: Person;
  let map: Awaited<ReturnType<typeof createMap>>;

  beforeAll(async () => {
    geocoder = await photonFixture();
    web = await startWebServer({
      repoRoot,
      webDir,
      logDir: path.join(artifactsDir, 'logs'),
      name: 'web-search',
      realtimeUrl: realtime,
      env: { GEOCODER_URL: geocoder.url, GEOCODER_KIND: 'photon' },
    });
    await waitForHttp(`${web.url}/`, 90_000, 'web-search');
    map = await createMap(realtime, 'Search');
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
    bo = await newPerson(browser, 'Bo');
    await openMap(ada, `${mapLink(web.url, map.id, map.editKey)}#3/45/5`);
  });

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await geocoder?.close();
  });

  it('a viewer finds "Meeting point" among 315 features with the list filter', async () => {
    const stops: { type: string; properties: Record<string, string>; geometry: unknown }[] = Array.from(
      { length: 314 },
      (_, i) => ({
        type: 'Feature',
        properties: { name: `Stop ${i}` },
        geometry: { type: 'Point', coordinates: [5 + (i % 20) * 0.01, 45 + Math.floor(i / 20) * 0.01] },
      }),
    );
    stops.splice(3, 0, {
      type: 'Feature',
      properties: { name: 'Meeting point', description: 'Under the clock' },
      geometry: { type: 'Point', coordinates: MEETING },
    });
    await ada.page.getByTestId('import-file').setInputFiles({
      name: 'stops.geojson',
      mimeType: 'application/geo+json',
      buffer: Buffer.from(JSON.stringify({ type: 'FeatureCollection', features: stops })),
    });
    await openMap(bo, mapLink(web.url, map.id, map.viewKey));
    await expect
      .poll(() => bo.page.getByTestId('feature-list').getAttribute('data-count'), { timeout: 30_000 })
      .toBe('315');
    // Unfiltered, the list shows the latest 100: "Meeting point" (imported early) is not among them.
    expect(await bo.page.locator('[data-testid^=feature-item-][data-title="Meeting point"]').count()).toBe(0);

    await bo.page.getByTestId('feature-filter').fill('meeting');
    await expect.poll(() => featureItems(bo.page).count()).toBe(1);
    expect(await featureItems(bo.page).first().getAttribute('data-title')).toBe('Meeting point');
    await bo.page.getByTestId('feature-filter').fill('clock');
    await expect.poll(() => featureItems(bo.page).first().getAttribute('data-title')).toBe('Meeting point');
    await bo.page.getByTestId('feature-filter').fill('stop 31');
    // Every word must match: "Stop 31", "Stop 310" to "Stop 313" first (the title starts so),
    // then "Stop 131" and "Stop 231".
    await expect.poll(() => featureItems(bo.page).count()).toBe(7);
    const titles = await featureItems(bo.page).evaluateAll((items) =>
      items.map((i) => i.getAttribute('data-title')),
    );
    expect(titles.slice(0, 5).every((t) => t?.startsWith('Stop 31'))).toBe(true);
    expect(titles.slice(5).sort()).toEqual(['Stop 131', 'Stop 231']);
  });

  it('the search box finds a feature by its description, flies there and selects it', async () => {
    await bo.page.getByTestId('search-input').fill('under the clock');
    const result = bo.page.getByTestId('search-feature-result');
    await expect.poll(() => result.count()).toBe(1);
    await result.first().click();
    await bo.page.getByTestId('feature-details').waitFor();
    expect(await bo.page.getByTestId('feature-title-text').textContent()).toBe('Meeting point');
    await waitForMapIdle(bo.page);
    const [lng, lat] = await mapCenter(bo.page);
    expect(Math.abs(lng - MEETING[0])).toBeLessThan(0.01);
    expect(Math.abs(lat - MEETING[1])).toBeLessThan(0.01);
  });

  it('finds a place through the geocoder (debounced, identified, attributed) and flies the map there', async () => {
    const before = geocoder.requests.length;
    const input = ada.page.getByTestId('search-input');
    await input.click();
    await input.pressSequentially('Lyon', { delay: 40 });
    const place = ada.page.getByTestId('search-place-result');
    await place.first().waitFor();
    expect(await place.first().textContent()).toMatch(/Lyon · Auvergne-Rhône-Alpes, France/);
    expect(await ada.page.getByTestId('search-attribution').textContent()).toMatch(/Photon.*OpenStreetMap/);
    const sent = geocoder.requests.slice(before);
    // Four keystrokes, one request: typing is debounced (and a stale request would be cancelled).
    expect(sent.map((r) => r.path)).toEqual(['/api?q=Lyon&limit=5&lang=en']);
    expect(sent[0]?.headers['user-agent']).toBe(`Meridian/0.1 (collaborative map; ${web.url})`);
    expect(sent[0]?.headers.referer).toBe(`${web.url}/`);

    await place.first().click();
    await expect
      .poll(
        async () => {
          const [lng, lat] = await mapCenter(ada.page);
          return Math.abs(lng - LYON.lng) < 0.01 && Math.abs(lat - LYON.lat) < 0.01;
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await waitForMapIdle(ada.page);
    expect(Number(await ada.page.getByTestId('map').getAttribute('data-zoom'))).toBeGreaterThanOrEqual(13);
  });

  it('says a geocoder failure in words', async () => {
    const input = ada.page.getByTestId('search-input');
    await input.fill('fail');
    const error = ada.page.getByTestId('search-place-error');
    await error.waitFor();
    expect(await error.textContent()).toBe('Place search failed: The server answered 500');
    expect(ada.errors).toEqual([]);
    expect(bo.errors).toEqual([]);
  });
});
