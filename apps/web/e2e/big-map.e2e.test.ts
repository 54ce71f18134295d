import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Feature } from '@meridian/protocol';
import type { Page } from 'playwright-core';
import { feature as topoFeature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMap, joinedClient, mapLink, sessionToken } from './support/api.ts';
import {
  featureItems,
  launchBrowser,
  mapCenter,
  newPerson,
  openMap,
  type Person,
  saveMapScreenshot,
  waitForMapIdle,
} from './support/browser.ts';

const SEEDED = 10_000;
const FIND_ME = 2345;
const require = createRequire(import.meta.url);

/** Someone on the map through the protocol client: how a script or another app imports. */
async function protocolPerson(realtimeUrl: string, mapId: string, editKey: string, name: string) {
  return joinedClient(realtimeUrl, {
    mapId,
    token: await sessionToken(realtimeUrl, mapId, editKey),
    user: { name, color: '#0e7490' },
  });
}

/** Addresses, as a spreadsheet brings them: a street, a number of households, a reference. */
const addresses = (): Feature[] =>
  Array.from({ length: SEEDED }, (_, i) => ({
    type: 'Feature',
    id: `addr-${i}`,
    version: 0,
    geometry: {
      type: 'Point',
      coordinates: [-10 + ((i * 7919) % 3000) / 100, 35 + ((i * 104_729) % 2000) / 100],
    },
    properties: { title: `Address ${i}`, ref: `R-${i}`, households: i % 40 },
  }));

/** Natural Earth countries (world-atlas, topojson-client), titled by name. */
function countries() {
  const topology = JSON.parse(
    readFileSync(require.resolve('world-atlas/countries-110m.json'), 'utf8'),
  ) as Topology;
  const collection = topoFeature(
    topology,
    topology.objects.countries as GeometryCollection<{ name: string }>,
  );
  return collection.features.map((country, i) => ({
    type: 'Feature' as const,
    id: `ne-${i}`,
    version: 0,
    geometry: country.geometry,
    properties: { title: country.properties.name, 'fill-opacity': 0.3 },
  }));
}

/** The titles of our fills drawn at a place in view, through MapLibre's own hit-testing. */
async function fillsAt(page: Page, lngLat: [number, number]): Promise<string[]> {
  return page.evaluate((lngLat) => {
    const map = window.meridianMap;
    if (!map) throw new Error('no map handle (open with ?debug)');
    const point = map.project(lngLat);
    const canvas = map.getCanvas();
    if (point.x < 0 || point.y < 0 || point.x > canvas.clientWidth || point.y > canvas.clientHeight)
      throw new Error(
        `${lngLat} is not in view: ${JSON.stringify({ point, center: map.getCenter(), zoom: map.getZoom(), w: canvas.clientWidth, h: canvas.clientHeight })}`,
      );
    const titles = map
      .queryRenderedFeatures(point, { layers: ['meridian-fills'] })
      .map((f) => String(f.properties.title));
    return [...new Set(titles)];
  }, lngLat);
}

/** Move the map and wait until it has drawn everything there (MapLibre's `idle`). */
async function jumpTo(page: Page, center: [number, number], zoom: number): Promise<void> {
  await page.evaluate(
    ({ center, zoom }) =>
      new Promise<void>((resolve) => {
        const map = window.meridianMap;
        if (!map) throw new Error('no map handle (open with ?debug)');
        map.once('idle', () => resolve());
        map.jumpTo({ center, zoom });
      }),
    { center, zoom },
  );
}

const cell = (page: Page, id: string, key: string) =>
  page.locator(`[data-testid=attribute-cell][data-feature-id="${id}"][data-key="${key}"]`);

describe('a big map: the whole list, a table, people’s data across ±180°', () => {
  const [realtime = ''] = inject('realtimeUrls');
  const [web = ''] = inject('webUrls');
  const artifactsDir = inject('artifactsDir');
  let map: Awaited<ReturnType<typeof createMap>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let ada: Person;
  let bo: Person;
  const findMeId = `addr-${FIND_ME}`;

  beforeAll(async () => {
    map = await createMap(realtime, 'Big map');
    const seeder = await protocolPerson(realtime, map.id, map.editKey, 'Seeder');
    await seeder.importFeatures(addresses());
    seeder.close();
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
    bo = await newPerson(browser, 'Bo');
    await openMap(ada, `${mapLink(web, map.id, map.editKey)}#4/5/45`);
    await openMap(bo, `${mapLink(web, map.id, map.editKey)}&debug#4/5/45`);
  });

  afterAll(async () => {
    expect(ada?.errors ?? []).toEqual([]);
    expect(bo?.errors ?? []).toEqual([]);
    await browser?.close();
  });

  it('lists every feature (only the rows in view exist) and finds one by a property value', async () => {
    const list = ada.page.getByTestId('feature-list');
    await expect.poll(() => list.getAttribute('data-count'), { timeout: 30_000 }).toBe(String(SEEDED));
    await expect
      .poll(() => ada.page.getByTestId('feature-filter-count').textContent())
      .toBe('10,000 features, newest first');
    expect(await featureItems(ada.page).count()).toBeLessThan(40);
    // The oldest feature is reachable by scrolling to the end, not cut off at "the latest 100".
    await ada.page.getByTestId('feature-rows').evaluate((rows) => rows.scrollTo(0, rows.scrollHeight));
    await expect.poll(() => featureItems(ada.page).last().getAttribute('data-title')).toBe('Address 0');

    // The field picker gathers the map's property keys when it is opened.
    await ada.page.getByTestId('feature-filter-field').focus();
    await ada.page.getByTestId('feature-filter-field').selectOption('ref');
    await ada.page.getByTestId('feature-filter').fill(`R-${FIND_ME}`);
    await expect.poll(() => ada.page.getByTestId('feature-filter-count').textContent()).toBe('1 of 10,000');
    await ada.page.getByTestId(`feature-item-${findMeId}`).click();
    await ada.page.getByTestId('feature-details').waitFor();
    await waitForMapIdle(ada.page);
    const position =
      (await ada.page.getByTestId(`feature-item-${findMeId}`).getAttribute('data-position')) ?? '';
    const [lng = 0, lat = 0] = position.split(',').map(Number);
    const [centerLng, centerLat] = await mapCenter(ada.page);
    expect(Math.abs(centerLng - lng)).toBeLessThan(0.01);
    expect(Math.abs(centerLat - lat)).toBeLessThan(0.01);
  });

  it('the attribute table edits a value; the other person sees it, with one author tag', async () => {
    await ada.page.getByTestId('open-table').click();
    const households = cell(ada.page, findMeId, 'households');
    await expect.poll(() => households.textContent()).toBe(String(FIND_ME % 40));
    const columns = await ada.page
      .locator('.attribute-columns th')
      .evaluateAll((ths) => ths.map((th) => th.textContent));
    expect(columns).toEqual(['feature', 'title', 'households', 'ref']);
    await households.click();
    await ada.page.getByTestId('attribute-cell-input').fill('99');
    await ada.page.getByTestId('attribute-cell-input').press('Enter');
    await expect.poll(() => households.textContent()).toBe('99');

    // Bo sees who did it: one tag, for a few seconds.
    await expect.poll(() => bo.page.getByTestId('map').getAttribute('data-author-tags')).toBe('1');
    await bo.page.getByTestId('feature-filter').fill(`R-${FIND_ME}`);
    await bo.page.getByTestId('open-table').click();
    await expect
      .poll(() => cell(bo.page, findMeId, 'households').textContent(), { timeout: 15_000 })
      .toBe('99');
    await saveMapScreenshot(bo.page, artifactsDir, 'big-map-table-desktop');

    // Undone like any edit, for both.
    await ada.page.keyboard.press('Control+z');
    await expect
      .poll(() => cell(bo.page, findMeId, 'households').textContent(), { timeout: 15_000 })
      .toBe(String(FIND_ME % 40));
    await bo.page.getByTestId('feature-filter').fill('');
    // A selection of several features is what the table shows: shift-click two in the list.
    await featureItems(bo.page).nth(0).click();
    await featureItems(bo.page)
      .nth(1)
      .click({ modifiers: ['Shift'] });
    await expect.poll(() => bo.page.locator('[data-testid^=attribute-row-]').count()).toBe(2);
    await bo.page.getByTestId('close-table').click();
  });

  it('a bulk import by someone else is one notice, not a tag per feature', async () => {
    // Ada's tag from the table edit has gone (tags last a few seconds): what follows adds none.
    await expect
      .poll(() => bo.page.getByTestId('map').getAttribute('data-author-tags'), { timeout: 15_000 })
      .toBe('0');
    const ana = await protocolPerson(realtime, map.id, map.editKey, 'Ana');
    const world = countries();
    await ana.importFeatures(world);
    await expect
      .poll(() => bo.page.getByTestId('feature-list').getAttribute('data-count'), { timeout: 30_000 })
      .toBe(String(SEEDED + world.length));
    await expect
      .poll(() => bo.page.getByTestId('toast').allTextContents(), { timeout: 15_000 })
      .toContainEqual(expect.stringContaining(`Ana imported ${world.length} features`));
    expect(await bo.page.getByTestId('map').getAttribute('data-author-tags')).toBe('0');
    ana.close();
  });

  it('Natural Earth countries across ±180° draw no band: Fiji, Russia', async () => {
    // Open ocean at Fiji's and Chukotka's latitudes: a band across the world would be there.
    await jumpTo(bo.page, [-20, 30], 1);
    expect(await fillsAt(bo.page, [-30, -16.5])).toEqual([]);
    expect(await fillsAt(bo.page, [-10, 68])).toEqual([]);
    expect(await fillsAt(bo.page, [100, 62])).toEqual(['Russia']);
    await saveMapScreenshot(bo.page, artifactsDir, 'big-map-world-desktop');
    // The islands themselves are drawn: Vanua Levu, which straddles the line.
    // Below the zoom where the basemap's detail layer loads: less to wait for.
    await jumpTo(bo.page, [180, -17], 3.5);
    expect(await fillsAt(bo.page, [179.5, -16.6])).toEqual(['Fiji']);
    await saveMapScreenshot(bo.page, artifactsDir, 'big-map-fiji-desktop');
  });

  it('on a phone, the list and the table are in the bottom sheet', async () => {
    const cy = await newPerson(
      browser,
      'Cy',
      { width: 390, height: 844 },
      { isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
    );
    try {
      await openMap(cy, `${mapLink(web, map.id, map.editKey)}#3/5/45`);
      await cy.page.getByTestId('sheet-toggle').click();
      await cy.page.getByTestId('feature-filter').fill('Address 77');
      await expect
        .poll(() => cy.page.getByTestId('feature-filter-count').textContent())
        .toMatch(/^\d+ of 10,177$/);
      await saveMapScreenshot(cy.page, artifactsDir, 'big-map-list-phone');
      await cy.page.getByTestId('open-table').click();
      const table = cy.page.getByTestId('attribute-table');
      await table.waitFor();
      const box = await table.boundingBox();
      expect(box?.width).toBeLessThanOrEqual(390);
      await cy.page.locator('[data-testid^=attribute-row-]').first().locator('button').first().tap();
      await cy.page.locator('[data-testid^=attribute-row-][aria-selected=true]').waitFor();
      await saveMapScreenshot(cy.page, artifactsDir, 'big-map-table-phone');
      expect(cy.errors).toEqual([]);
    } finally {
      await cy.context.close();
    }
  });
});
