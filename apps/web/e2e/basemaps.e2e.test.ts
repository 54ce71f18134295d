import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BASEMAP_COLORS } from '../src/basemap/style.ts';
import { createMap, mapLink } from './support/api.ts';
import {
  countColors,
  launchBrowser,
  mapCenterPoint,
  mapOf,
  newPerson,
  openMap,
  type Person,
  saveMapScreenshot,
  waitForMap,
  waitForMapIdle,
} from './support/browser.ts';
import { startWebServer } from './support/cluster.ts';
import { type FixtureServer, sendBytes, sendJson, startFixtureServer } from './support/fixture-server.ts';
import { writePmtiles } from './support/pmtiles-writer.ts';
import { waitForHttp } from './support/processes.ts';
import {
  allStreetTiles,
  STREET_CENTER,
  STREET_COLORS,
  streetStyle,
  streetTiles,
} from './support/street-fixture.ts';

const webDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = path.resolve(webDir, '../..');
const FALLBACK_MS = 3000;

/** What the map shows right now: its style's name, its sources, and basemap features drawn on screen. */
async function rendered(page: Page, layers: string[]) {
  return page.evaluate((layers) => {
    const map = window.meridianMap;
    if (!map) throw new Error('no map handle (open with ?debug)');
    const present = layers.filter((id) => map.getLayer(id));
    const features = present.length ? map.queryRenderedFeatures({ layers: present }) : [];
    return {
      name: map.getStyle().name,
      sources: Object.keys(map.getStyle().sources),
      bySourceLayer: features.reduce<Record<string, number>>((counts, f) => {
        const key = `${f.source}/${f.sourceLayer ?? ''}`;
        counts[key] = (counts[key] ?? 0) + 1;
        return counts;
      }, {}),
      roadNames: [
        ...new Set(features.filter((f) => f.layer.id === 'road-name').map((f) => String(f.properties.name))),
      ],
      markers: map.getLayer('meridian-points')
        ? map.queryRenderedFeatures({ layers: ['meridian-points'] }).length
        : 0,
    };
  }, layers);
}

async function chooseBasemap(page: Page, id: string) {
  await page.getByTestId('basemap-select').selectOption(id);
  await page.locator(`[data-testid=map][data-basemap="${id}"][data-ready=true]`).waitFor();
}

async function waitForBasemapDrawn(page: Page) {
  await page.locator('[data-testid=map][data-basemap-state=ok]').waitFor({ timeout: 20_000 });
  await waitForMapIdle(page);
  await page.waitForFunction(() => window.meridianMap?.loaded() === true, undefined, { timeout: 20_000 });
}

describe('basemaps: switcher, fallback, a street style from a local fixture, a self-hosted PMTiles extract', () => {
  const [realtime = ''] = inject('realtimeUrls');
  const artifactsDir = inject('artifactsDir');
  let fixtures: FixtureServer;
  let web: Awaited<ReturnType<typeof startWebServer>>;
  let browser: Browser;
  let ada: Person;
  let link = '';

  beforeAll(async () => {
    const tileAt = streetTiles();
    const archive = writePmtiles(allStreetTiles(), { west: 4.81, south: 45.74, east: 4.86, north: 45.79 });
    fixtures = await startFixtureServer([
      (_request, response, url) => {
        if (url.pathname === '/streets/style.json')
          return sendJson(
            response,
            streetStyle('Fixture streets', { tiles: [`${fixtures.url}/streets/{z}/{x}/{y}.pbf`] }),
          );
        if (url.pathname === '/pmtiles/style.json')
          return sendJson(
            response,
            streetStyle('Self-hosted streets', { url: `pmtiles://${fixtures.url}/lyon.pmtiles` }),
          );
        if (url.pathname === '/broken-tiles/style.json')
          return sendJson(
            response,
            streetStyle('Broken tiles', { tiles: [`${fixtures.url}/fail/{z}/{x}/{y}.pbf`] }),
          );
        return false;
      },
      (request, response, url) => {
        const tile = /^\/streets\/(\d+)\/(\d+)\/(\d+)\.pbf$/.exec(url.pathname);
        if (!tile) return false;
        const data = tileAt(Number(tile[1]), Number(tile[2]), Number(tile[3]));
        if (!data) response.writeHead(204).end();
        else sendBytes(request, response, Buffer.from(data), 'application/x-protobuf');
        return true;
      },
      (request, response, url) =>
        url.pathname === '/lyon.pmtiles' && sendBytes(request, response, archive, 'application/octet-stream'),
      // The "down" style server and tile host: every request fails.
      (_request, response, url) => {
        if (!url.pathname.startsWith('/down/') && !url.pathname.startsWith('/fail/')) return false;
        response.writeHead(503, { 'Content-Type': 'text/plain' }).end('unavailable');
        return true;
      },
    ]);
    web = await startWebServer({
      repoRoot,
      webDir,
      logDir: path.join(artifactsDir, 'logs'),
      name: 'web-basemaps',
      realtimeUrl: realtime,
      env: {
        MAP_STYLE_URL: `${fixtures.url}/down/style.json`,
        MAP_STYLES: [
          `Fixture streets=${fixtures.url}/streets/style.json`,
          `Self-hosted=${fixtures.url}/pmtiles/style.json`,
          `Broken tiles=${fixtures.url}/broken-tiles/style.json`,
        ].join(';'),
        BASEMAP_FALLBACK_MS: String(FALLBACK_MS),
      },
    });
    await waitForHttp(`${web.url}/`, 90_000, 'web-basemaps');
    const map = await createMap(realtime, 'Basemaps');
    link = `${mapLink(web.url, map.id, map.editKey)}&debug#14/${STREET_CENTER[1]}/${STREET_CENTER[0]}`;
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
  });

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await fixtures?.close();
  });

  it('falls back to the embedded basemap when the default style is unreachable, and says so', async () => {
    await openMap(ada, link);
    const notice = ada.page.getByTestId('basemap-notice');
    await notice.waitFor({ timeout: FALLBACK_MS + 10_000 });
    expect(await notice.textContent()).toMatch(
      /Default map unavailable \(could not reach 127\.0\.0\.1:\d+\); showing the offline map/,
    );
    await expect.poll(() => mapOf(ada.page).getAttribute('data-basemap')).toBe('offline');
    expect(await mapOf(ada.page).getAttribute('data-basemap-fallback')).toBe('default');
    expect(await mapOf(ada.page).getAttribute('data-style-name')).toBe('Meridian offline');
    // The switcher names what is shown, not the choice that failed.
    expect(await ada.page.getByTestId('basemap-select').inputValue()).toBe('offline');
  });

  it('switching to a street style served by a local fixture draws its streets at zoom 14, and keeps our marker', async () => {
    await ada.page.getByTestId('tool-marker').click();
    const centre = await mapCenterPoint(ada.page);
    await ada.page.mouse.click(centre.x - 60, centre.y - 40);
    await expect.poll(() => mapOf(ada.page).getAttribute('data-feature-count')).toBe('1');
    await ada.page.keyboard.press('Escape');
    await waitForBasemapDrawn(ada.page);
    const offlinePng = await saveMapScreenshot(ada.page, artifactsDir, 'basemap-offline');

    await chooseBasemap(ada.page, 'fixture-streets');
    await waitForBasemapDrawn(ada.page);
    const state = await rendered(ada.page, ['road', 'building', 'water', 'road-name']);
    expect(state.name).toBe('Fixture streets');
    expect(state.sources).toContain('streets');
    expect(state.sources).not.toContain('basemap');
    expect(state.bySourceLayer['streets/transportation'] ?? 0).toBeGreaterThan(0);
    expect(state.bySourceLayer['streets/building'] ?? 0).toBeGreaterThan(0);
    expect(state.roadNames.length).toBeGreaterThan(0);
    // Our own layers came back on top of the new style, with the marker in them.
    expect(state.markers).toBe(1);
    expect(Number(await mapOf(ada.page).getAttribute('data-zoom'))).toBeCloseTo(14, 0);

    const streetsPng = await saveMapScreenshot(ada.page, artifactsDir, 'basemap-fixture-streets');
    expect(streetsPng.equals(offlinePng)).toBe(false);
    const colors = { building: STREET_COLORS.building, land: BASEMAP_COLORS.land };
    const onStreets = await countColors(ada.page, streetsPng, colors);
    const onOffline = await countColors(ada.page, offlinePng, colors);
    expect(onStreets.building).toBeGreaterThan(2000);
    expect(onOffline.building).toBeLessThan(50);
    expect(onStreets.land).toBeLessThan(onOffline.land ?? 0);
  });

  it('serves a self-hosted PMTiles extract through the pmtiles:// protocol', async () => {
    await chooseBasemap(ada.page, 'self-hosted');
    await waitForBasemapDrawn(ada.page);
    const state = await rendered(ada.page, ['road', 'building', 'water']);
    expect(state.name).toBe('Self-hosted streets');
    expect(state.bySourceLayer['streets/building'] ?? 0).toBeGreaterThan(0);
    expect(state.bySourceLayer['streets/transportation'] ?? 0).toBeGreaterThan(0);
    expect(state.markers).toBe(1);
    expect(fixtures.requests.some((r) => r.path === '/lyon.pmtiles' && r.headers.range)).toBe(true);
    await saveMapScreenshot(ada.page, artifactsDir, 'basemap-pmtiles');
  });

  it('keeps the choice per person across reloads, and falls back when a style loads but its tiles fail', async () => {
    await ada.page.reload();
    await waitForMap(ada.page);
    await expect.poll(() => mapOf(ada.page).getAttribute('data-style-name')).toBe('Self-hosted streets');
    expect(await ada.page.getByTestId('basemap-select').inputValue()).toBe('self-hosted');

    await ada.page.getByTestId('basemap-select').selectOption('broken-tiles');
    const notice = ada.page.getByTestId('basemap-notice');
    await notice.waitFor({ timeout: FALLBACK_MS + 10_000 });
    expect(await notice.textContent()).toMatch(/Broken tiles map unavailable/);
    await expect.poll(() => mapOf(ada.page).getAttribute('data-basemap')).toBe('offline');
    expect(await ada.page.getByTestId('basemap-select').inputValue()).toBe('offline');
    // Choosing the one that failed tries it again.
    await ada.page.getByTestId('basemap-select').selectOption('broken-tiles');
    await expect.poll(() => mapOf(ada.page).getAttribute('data-basemap')).toBe('broken-tiles');
    await expect
      .poll(() => mapOf(ada.page).getAttribute('data-basemap'), { timeout: FALLBACK_MS + 10_000 })
      .toBe('offline');
    expect(ada.errors).toEqual([]);
  });
});
