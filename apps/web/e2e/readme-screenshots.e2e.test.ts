import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMap, mapLink } from './support/api.ts';
import {
  countColors,
  launchBrowser,
  mapCenterPoint,
  newPerson,
  openMap,
  saveMapScreenshot,
  waitForMapIdle,
} from './support/browser.ts';
import { startWebServer } from './support/cluster.ts';
import { type FixtureServer, sendBytes, sendJson, startFixtureServer } from './support/fixture-server.ts';
import { waitForHttp } from './support/processes.ts';
import { STREET_CENTER, streetStyle, streetTiles } from './support/street-fixture.ts';

/**
 * The README's screenshots: two people on a street-level map with styled features (Maki icons,
 * colours, a dashed route, a filled area, labels), and a phone. The machine that takes them has no
 * internet, so the street map is the test's own vector-tile fixture (street-fixture.ts) served
 * locally. Every run checks what the pictures show; `npm run screenshots -w @meridian/web` (which
 * sets MERIDIAN_README_SCREENSHOTS=1) also copies them into apps/web/docs for the README.
 */
const webDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = path.resolve(webDir, '../..');
const docsDir = path.join(webDir, 'docs');
const [lng, lat] = STREET_CENTER;
/** The fixture's tiles in a street map's usual colours (the fixture's own are loud, for pixel counting). */
const README_COLORS: Record<string, Record<string, string | number>> = {
  background: { 'background-color': '#f3f0ea' },
  water: { 'fill-color': '#a8cbe8' },
  building: { 'fill-color': '#ddd5cb' },
  road: { 'line-color': '#ffffff', 'line-width': 10 },
};

function readmeStyle(tilesUrl: string) {
  const style = streetStyle('Fixture streets', { tiles: [tilesUrl] });
  return {
    ...style,
    layers: style.layers.map((layer) => ({
      ...layer,
      paint: { ...layer.paint, ...README_COLORS[layer.id] },
    })),
  };
}
const d = 0.004;

const point = (title: string, at: [number, number], style: Record<string, unknown>, more = {}) => ({
  type: 'Feature',
  properties: { title, ...style, ...more },
  geometry: { type: 'Point', coordinates: at },
});

const styledFeatures = {
  type: 'FeatureCollection',
  features: [
    point('Café Ada', [lng + 0.35 * d, lat - 0.3 * d], {
      'marker-symbol': 'cafe',
      'marker-color': '#b45309',
      'marker-size': 'large',
    }),
    point('Museum', [lng - 1.5 * d, lat + 0.45 * d], {
      'marker-symbol': 'museum',
      'marker-color': '#7c3aed',
    }),
    point('Tram stop', [lng + 1.2 * d, lat - 0.7 * d], {
      'marker-symbol': 'rail',
      'marker-color': '#0f766e',
    }),
    point('Bike station', [lng - 0.6 * d, lat - 1.2 * d], {
      'marker-symbol': 'bicycle',
      'marker-color': '#2563eb',
      'marker-size': 'small',
    }),
    point('Meeting point', [lng - 0.25 * d, lat + 1.05 * d], {
      'marker-symbol': 'embassy',
      'marker-color': '#dc2626',
    }),
    {
      type: 'Feature',
      properties: { title: 'Walk to the river', stroke: '#db2777', 'stroke-width': 5, 'stroke-dash': 'dash' },
      geometry: {
        type: 'LineString',
        coordinates: [
          [lng + d, lat - d * 0.7],
          [lng, lat - d * 0.7],
          [lng - 2 * d, lat],
          [lng - 4.2 * d, lat + d * 0.3],
        ],
      },
    },
    {
      type: 'Feature',
      properties: { title: 'Market', fill: '#16a34a', 'fill-opacity': 0.45 },
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [lng + 0.6 * d, lat + 0.5 * d],
            [lng + 1.9 * d, lat + 0.5 * d],
            [lng + 1.9 * d, lat + 1.4 * d],
            [lng + 0.6 * d, lat + 1.4 * d],
            [lng + 0.6 * d, lat + 0.5 * d],
          ],
        ],
      },
    },
  ],
};

describe('README screenshots: styled features on a street map, two people, a phone', () => {
  const [realtime = ''] = inject('realtimeUrls');
  const artifactsDir = inject('artifactsDir');
  let fixtures: FixtureServer;
  let web: Awaited<ReturnType<typeof startWebServer>>;
  let browser: Browser;

  beforeAll(async () => {
    const tileAt = streetTiles();
    fixtures = await startFixtureServer([
      (_request, response, url) =>
        url.pathname === '/streets/style.json' &&
        sendJson(response, readmeStyle(`${fixtures.url}/streets/{z}/{x}/{y}.pbf`)),
      (request, response, url) => {
        const tile = /^\/streets\/(\d+)\/(\d+)\/(\d+)\.pbf$/.exec(url.pathname);
        if (!tile) return false;
        const data = tileAt(Number(tile[1]), Number(tile[2]), Number(tile[3]));
        if (!data) response.writeHead(204).end();
        else sendBytes(request, response, Buffer.from(data), 'application/x-protobuf');
        return true;
      },
    ]);
    web = await startWebServer({
      repoRoot,
      webDir,
      logDir: path.join(artifactsDir, 'logs'),
      name: 'web-screenshots',
      realtimeUrl: realtime,
      env: { MAP_STYLE_URL: `${fixtures.url}/streets/style.json` },
    });
    await waitForHttp(`${web.url}/`, 90_000, 'web-screenshots');
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await fixtures?.close();
  });

  it('draws the styled features with their icons and labels on the street map, seen by two people', async () => {
    const map = await createMap(realtime, 'Lyon walk');
    const link = `${mapLink(web.url, map.id, map.editKey)}#14.7/${lat + 0.1 * d}/${lng - 0.6 * d}`;
    const ada = await newPerson(browser, 'Ada');
    const bo = await newPerson(browser, 'Bo');
    await openMap(ada, link);
    await ada.page.getByTestId('import-file').setInputFiles({
      name: 'walk.geojson',
      mimeType: 'application/geo+json',
      buffer: Buffer.from(JSON.stringify(styledFeatures)),
    });
    await openMap(bo, link);
    await bo.page
      .locator('[data-testid=map][data-feature-count="7"][data-style-name="Fixture streets"]')
      .waitFor();
    await bo.page.locator('[data-testid=map][data-basemap-state=ok]').waitFor({ timeout: 20_000 });

    // Ada opens the café's style panel; her pointer is on Bo's map.
    await ada.page.locator('[data-testid^=feature-item-][data-title="Café Ada"]').click();
    await ada.page.getByTestId('style-symbol').click();
    await ada.page.getByTestId('style-symbol-search').fill('food');
    // Opening the café from the list centred Ada's map on it: back to the shared view, then point.
    await ada.page.evaluate((hash) => {
      window.location.hash = hash;
    }, new URL(link).hash);
    await waitForMapIdle(ada.page);
    const centre = await mapCenterPoint(ada.page);
    await ada.page.mouse.move(centre.x + 150, centre.y + 40);
    await bo.page.locator('[data-testid^=cursor-]').first().waitFor();
    await waitForMapIdle(bo.page);
    await waitForMapIdle(ada.page);
    await bo.page.waitForTimeout(1000);

    // What the picture must show, in Bo's pixels (he opened the plain link, as everyone does):
    // the markers' colours, the dashed route's, and Ada's cursor.
    expect(await bo.page.locator('[data-testid^=cursor-]').count()).toBeGreaterThan(0);
    const png = await saveMapScreenshot(bo.page, artifactsDir, 'docs-two-people');
    const pixels = await countColors(
      bo.page,
      png,
      { cafe: '#b45309', museum: '#7c3aed', route: '#db2777' },
      16,
    );
    expect(pixels.cafe).toBeGreaterThan(100);
    expect(pixels.museum).toBeGreaterThan(100);
    expect(pixels.route).toBeGreaterThan(100);
    await saveMapScreenshot(ada.page, artifactsDir, 'docs-style-panel');

    const cleo = await newPerson(
      browser,
      'Cleo',
      { width: 390, height: 844 },
      { isMobile: true, hasTouch: true },
    );
    await openMap(cleo, link);
    await cleo.page
      .locator('[data-testid=map][data-style-name="Fixture streets"][data-basemap-state=ok]')
      .waitFor();
    await waitForMapIdle(cleo.page);
    await cleo.page.waitForTimeout(1500);
    await saveMapScreenshot(cleo.page, artifactsDir, 'docs-phone');
    expect([...ada.errors, ...bo.errors, ...cleo.errors]).toEqual([]);

    if (process.env.MERIDIAN_README_SCREENSHOTS === '1') {
      mkdirSync(docsDir, { recursive: true });
      copyFileSync(path.join(artifactsDir, 'docs-two-people.png'), path.join(docsDir, 'two-people.png'));
      copyFileSync(path.join(artifactsDir, 'docs-style-panel.png'), path.join(docsDir, 'style-panel.png'));
      copyFileSync(path.join(artifactsDir, 'docs-phone.png'), path.join(docsDir, 'phone.png'));
    }
  });
});
