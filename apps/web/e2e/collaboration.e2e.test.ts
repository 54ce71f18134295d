import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BASEMAP_COLORS } from '../src/basemap/style.ts';
import {
  countColors,
  eventually,
  featureItems,
  launchBrowser,
  mapCenter,
  mapCenterPoint,
  mapOf,
  newPerson,
  openMap,
  type Person,
  saveMapScreenshot,
  waitForMap,
  waitForMapIdle,
} from './support/browser.ts';

/** Not in the presence palette, so no one's cursor or avatar can be mistaken for the marker. */
const MARKER_COLOR = '#ff00ff';

describe('two people on one map (same realtime node)', () => {
  const [web] = inject('webUrls');
  const artifactsDir = inject('artifactsDir');
  let browser: Browser;
  let ada: Person;
  let bo: Person;
  let editLink = '';
  let viewLink = '';
  let featureId = '';

  beforeAll(async () => {
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
    bo = await newPerson(browser, 'Bo');
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('creates a map from the home page and gives both share links', async () => {
    await ada.page.goto(`${web}/`);
    await ada.page.getByTestId('map-name-input').fill('Lyon weekend');
    await ada.page.getByTestId('create-map').click();
    await ada.page.waitForURL(/\/m\/[A-Za-z0-9_-]+\?key=/);
    await ada.page.getByTestId('name-input').fill('Ada');
    await ada.page.getByTestId('name-submit').click();
    await waitForMap(ada.page);
    expect(await ada.page.getByTestId('map-title').inputValue()).toBe('Lyon weekend');

    await ada.page.getByTestId('share').click();
    editLink = await ada.page.getByTestId('share-edit-link').inputValue();
    viewLink = await ada.page.getByTestId('share-view-link').inputValue();
    expect(editLink).toMatch(/^https?:\/\/[^/]+\/m\/[A-Za-z0-9_-]+\?key=.+/);
    expect(viewLink).toMatch(/^https?:\/\/[^/]+\/m\/[A-Za-z0-9_-]+\?key=.+/);
    expect(viewLink).not.toBe(editLink);
    await ada.page.getByTestId('share').click();
  });

  it('A adds a marker by clicking the map; B sees it', async () => {
    await openMap(bo, editLink);
    await ada.page.getByTestId('tool-marker').click();
    const centre = await mapCenterPoint(ada.page);
    await ada.page.mouse.click(centre.x, centre.y);

    await expect.poll(() => featureItems(bo.page).count()).toBe(1);
    featureId = (await featureItems(bo.page).first().getAttribute('data-feature-id')) ?? '';
    expect(featureId).not.toBe('');
    await expect.poll(() => mapOf(bo.page).getAttribute('data-feature-count')).toBe('1');
  });

  it('B drags the marker; A sees it move', async () => {
    const item = (page: Person['page']) => page.getByTestId(`feature-item-${featureId}`);
    const before = (await item(ada.page).getAttribute('data-position')) ?? '';

    await item(bo.page).click();
    await waitForMapIdle(bo.page);
    const centre = await mapCenterPoint(bo.page);
    await bo.page.mouse.move(centre.x, centre.y);
    await bo.page.mouse.down();
    await bo.page.mouse.move(centre.x + 60, centre.y + 30, { steps: 4 });
    await bo.page.mouse.move(centre.x + 150, centre.y + 80, { steps: 6 });
    await bo.page.mouse.up();

    const moved = await eventually('the move to reach Ada', async () => {
      const position = await item(ada.page).getAttribute('data-position');
      return position && position !== before ? position : undefined;
    });
    const [lngBefore, latBefore] = before.split(',').map(Number) as [number, number];
    const [lngAfter, latAfter] = moved.split(',').map(Number) as [number, number];
    // Right and down on screen: east and south.
    expect(lngAfter).toBeGreaterThan(lngBefore + 5);
    expect(latAfter).toBeLessThan(latBefore - 2);
    expect(await item(bo.page).getAttribute('data-position')).toBe(moved);
  });

  it('A edits the title; B sees it, and sees that Ada is editing', async () => {
    await ada.page.getByTestId(`feature-item-${featureId}`).click();
    const title = ada.page.getByTestId('feature-title');
    await title.fill('Café <b>de la Paix</b>');
    await title.press('Enter');

    await expect
      .poll(() => bo.page.getByTestId(`feature-item-${featureId}`).getAttribute('data-title'))
      .toBe('Café <b>de la Paix</b>');
    // Bo has the marker selected (from the drag): the inspector shows the new title and who changed it.
    await expect.poll(() => bo.page.getByTestId('feature-title').inputValue()).toBe('Café <b>de la Paix</b>');
    await expect
      .poll(() => bo.page.getByTestId('remote-editor').textContent())
      .toContain('Ada is editing this');
    // Text from others is text: the list shows the angle brackets, no element was made of them.
    expect(await bo.page.locator('.feature-list b').count()).toBe(0);
  });

  it('B deletes it; it is gone for A', async () => {
    await bo.page.getByTestId('feature-delete').click();
    await expect.poll(() => featureItems(ada.page).count()).toBe(0);
    await expect.poll(() => mapOf(ada.page).getAttribute('data-feature-count')).toBe('0');
  });

  it("shows B's cursor and avatar to A, and A's view follows B's pans", async () => {
    const centre = await mapCenterPoint(bo.page);
    for (let i = 0; i < 5; i++) await bo.page.mouse.move(centre.x + i * 20, centre.y - i * 10, { steps: 2 });
    const cursor = ada.page.locator('[data-testid^=cursor-][data-visible=true]');
    await cursor.waitFor();
    expect(await cursor.textContent()).toBe('Bo');

    const avatar = ada.page.locator('[data-testid^=avatar-][data-name=Bo]');
    await avatar.click();
    await ada.page.getByTestId('following-banner').waitFor();
    expect(await avatar.getAttribute('aria-pressed')).toBe('true');

    const adaBefore = await mapCenter(ada.page);
    // Bo pans the map by dragging an empty part of it.
    await bo.page.mouse.move(centre.x, centre.y);
    await bo.page.mouse.down();
    await bo.page.mouse.move(centre.x - 120, centre.y + 60, { steps: 5 });
    await bo.page.mouse.move(centre.x - 250, centre.y + 120, { steps: 5 });
    await bo.page.mouse.up();
    await waitForMapIdle(bo.page);
    const boAfter = await mapCenter(bo.page);

    await eventually("Ada's map to land on Bo's view", async () => {
      const adaNow = await mapCenter(ada.page);
      return Math.abs(adaNow[0] - boAfter[0]) < 1 && Math.abs(adaNow[1] - boAfter[1]) < 1
        ? adaNow
        : undefined;
    });
    expect(Math.abs(boAfter[0] - adaBefore[0])).toBeGreaterThan(20);

    await avatar.click();
    await expect.poll(() => ada.page.getByTestId('following-banner').count()).toBe(0);
  });

  it("brings everyone to A's view", async () => {
    const centre = await mapCenterPoint(ada.page);
    await ada.page.mouse.move(centre.x, centre.y);
    await ada.page.mouse.down();
    await ada.page.mouse.move(centre.x + 150, centre.y - 40, { steps: 5 });
    await ada.page.mouse.up();
    await waitForMapIdle(ada.page);
    const target = await mapCenter(ada.page);
    await ada.page.getByTestId('summon').click();
    await eventually("Bo's map to come to Ada's view", async () => {
      const now = await mapCenter(bo.page);
      return Math.abs(now[0] - target[0]) < 1 && Math.abs(now[1] - target[1]) < 1 ? now : undefined;
    });
    await expect
      .poll(() => bo.page.getByTestId('toast').first().textContent())
      .toContain('Ada brought everyone');
  });

  it('imports GeoJSON that the other person sees, exports it, and undoes the import', async () => {
    const geojson = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [4.83, 45.76] },
          properties: { name: 'Lyon' },
        },
        {
          type: 'Feature',
          geometry: {
            type: 'LineString',
            coordinates: [
              [4.83, 45.76],
              [2.35, 48.86],
            ],
          },
          properties: { name: 'Road to Paris' },
        },
      ],
    };
    await ada.page.getByTestId('import-file').setInputFiles({
      name: 'trip.geojson',
      mimeType: 'application/geo+json',
      buffer: Buffer.from(JSON.stringify(geojson)),
    });
    const titled = (title: string) => bo.page.locator(`[data-testid^=feature-item-][data-title="${title}"]`);
    await expect.poll(() => titled('Road to Paris').count()).toBe(1);
    await expect.poll(() => titled('Lyon').count()).toBe(1);

    const [download] = await Promise.all([
      ada.page.waitForEvent('download'),
      ada.page.getByTestId('export').click(),
    ]);
    const chunks: Buffer[] = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
    const exported = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      type: string;
      features: { properties: { title?: string } }[];
    };
    expect(exported.type).toBe('FeatureCollection');
    expect(exported.features.map((f) => f.properties.title).sort()).toEqual(['Lyon', 'Road to Paris']);

    // One undo removes the whole import, for everyone.
    await ada.page.keyboard.press('Control+z');
    await expect.poll(() => featureItems(bo.page).count()).toBe(0);
  });

  it('draws the basemap and a marker, as pixels in a screenshot with two people', async () => {
    await ada.page.getByTestId('tool-marker').click();
    const centre = await mapCenterPoint(ada.page);
    await ada.page.mouse.click(centre.x - 40, centre.y);
    await ada.page.getByTestId('feature-color').fill(MARKER_COLOR);
    await expect.poll(() => featureItems(bo.page).count()).toBe(1);
    const boCentre = await mapCenterPoint(bo.page);
    await bo.page.mouse.move(boCentre.x + 30, boCentre.y + 30, { steps: 3 });
    await ada.page.locator('[data-testid^=cursor-][data-visible=true]').waitFor();
    await waitForMapIdle(ada.page);
    await ada.page.waitForTimeout(500);

    const png = await saveMapScreenshot(ada.page, artifactsDir, 'two-people-ada');
    await saveMapScreenshot(bo.page, artifactsDir, 'two-people-bo');
    const counts = await countColors(ada.page, png, {
      land: BASEMAP_COLORS.land,
      ocean: BASEMAP_COLORS.ocean,
      marker: MARKER_COLOR,
    });
    expect(counts.land).toBeGreaterThan(20_000);
    expect(counts.ocean).toBeGreaterThan(20_000);
    expect(counts.marker).toBeGreaterThan(40);
  });

  it('lists the map among recent maps on the home page', async () => {
    await ada.page.goto(`${web}/`);
    const recent = ada.page.getByTestId('recent-maps');
    await recent.waitFor();
    expect(await recent.textContent()).toContain('Lyon weekend');
  });

  it('raised no page errors', () => {
    expect(ada.errors).toEqual([]);
    expect(bo.errors).toEqual([]);
  });
});
