import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMap, mapLink } from './support/api.ts';
import {
  eventually,
  launchBrowser,
  mapOf,
  newPerson,
  openMap,
  type Person,
  saveMapScreenshot,
  waitForMap,
  waitForMapIdle,
} from './support/browser.ts';

const PHONE = { width: 390, height: 844 };
const MAGENTA = '#ff00aa';

/** The colour the map draws a shape with, read from its map source (as MapLibre holds it). */
async function drawnColor(page: Page, title: string): Promise<string | null> {
  return page.evaluate((wanted) => {
    const hits = window.meridianMap?.querySourceFeatures('meridian-shapes') ?? [];
    const hit = hits.find((f) => f.properties?.title === wanted);
    return hit ? String(hit.properties?.color) : null;
  }, title);
}

/** A property of the drawn feature with this title (what the map's style expressions read). */
async function drawnProperty(page: Page, title: string, key: string): Promise<string | null> {
  return page.evaluate(
    ([wanted, property]) => {
      const hits = window.meridianMap?.querySourceFeatures('meridian-shapes') ?? [];
      const hit = hits.find((f) => f.properties?.title === wanted);
      const value = hit?.properties?.[property as string];
      return value === undefined ? null : String(value);
    },
    [title, key],
  );
}

const drawnCount = async (page: Page) => Number(await mapOf(page).getAttribute('data-feature-count'));
const layerRows = (page: Page) => page.locator('[data-testid^=user-layer-]');

describe('layers of your own: create, move into, style, hide (per person), delete and undo', () => {
  const [web = '', webB = web] = inject('webUrls');
  const [realtime = ''] = inject('realtimeUrls');
  const artifactsDir = inject('artifactsDir');
  let browser: Browser;
  let ana: Person;
  let ben: Person;
  let link = '';
  let linkB = '';

  beforeAll(async () => {
    const map = await createMap(realtime, 'Parks and stops');
    browser = await launchBrowser();
    ana = await newPerson(browser, 'Ana');
    ben = await newPerson(browser, 'Ben');
    link = `${mapLink(web, map.id, map.editKey)}&debug#7/45.5/4.5`;
    // Ben is on the other web server and realtime node: what he sees crossed the cluster.
    linkB = `${mapLink(webB, map.id, map.editKey)}&debug#7/45.5/4.5`;
    await openMap(ana, link);
    await openMap(ben, linkB);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('Ana makes a layer, moves a shape into it and colours it; Ben sees it; Ben hides it for himself only', async () => {
    await ana.page.getByTestId('import-file').setInputFiles({
      name: 'park.geojson',
      mimeType: 'application/geo+json',
      buffer: Buffer.from(
        JSON.stringify({
          type: 'Feature',
          properties: { name: 'Square park' },
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [4, 45],
                [5, 45],
                [5, 46],
                [4, 46],
                [4, 45],
              ],
            ],
          },
        }),
      ),
    });
    const anaItem = ana.page.locator('[data-testid^=feature-item-][data-title="Square park"]');
    await anaItem.waitFor();

    await ana.page.getByTestId('layer-new').click();
    const anaRow = layerRows(ana.page).first();
    await anaRow.waitFor();
    const layerId = (await anaRow.getAttribute('data-layer-id')) ?? '';
    expect(await anaRow.getAttribute('data-active')).toBe('true');
    const name = anaRow.getByTestId('layer-name');
    await name.fill('Parks');
    await name.press('Enter');

    await anaItem.click();
    await ana.page.getByTestId('feature-layer-select').selectOption(layerId);
    await anaRow.getByTestId('layer-color').fill(MAGENTA);
    await eventually('Ana to see the layer colour applied', async () =>
      (await drawnColor(ana.page, 'Square park')) === MAGENTA ? true : undefined,
    );
    expect(await ana.page.getByTestId('feature-layer-select').inputValue()).toBe(layerId);
    await saveMapScreenshot(ana.page, artifactsDir, 'user-layers-ana-details');

    // Ben: the layer with its name, the feature in it, drawn in the layer's colour.
    const benRow = ben.page.getByTestId(`user-layer-${layerId}`);
    await eventually('Ben to see the renamed layer', async () =>
      (await benRow.getAttribute('data-layer-name')) === 'Parks' ? true : undefined,
    );
    const benItem = ben.page.locator('[data-testid^=feature-item-][data-title="Square park"]');
    await eventually('Ben to see the shape in the layer', async () =>
      (await benItem.getAttribute('data-layer')) === layerId ? true : undefined,
    );
    await eventually('Ben to see the layer colour', async () =>
      (await drawnColor(ben.page, 'Square park')) === MAGENTA ? true : undefined,
    );
    // The layer's full default style, from the same panel as a feature's: a dashed outline.
    await anaRow.getByTestId('layer-style-toggle').click();
    await ana.page.getByTestId('layer-style').getByTestId('style-dash-dash').click();
    await eventually('Ben to see the layer’s dashed outline on the shape', async () =>
      (await drawnProperty(ben.page, 'Square park', 'stroke-dash')) === 'dash' ? true : undefined,
    );
    await saveMapScreenshot(ana.page, artifactsDir, 'user-layers-ana-style');
    await waitForMapIdle(ben.page);
    await saveMapScreenshot(ben.page, artifactsDir, 'user-layers-ben-desktop');

    // Ben hides it: gone from his map, not from Ana's; and it stays hidden for him after a reload.
    expect(await drawnCount(ben.page)).toBe(1);
    await benRow.getByTestId('layer-visibility').click();
    await eventually('Ben’s map to drop the hidden layer', async () =>
      (await drawnCount(ben.page)) === 0 ? true : undefined,
    );
    await ben.page.waitForTimeout(800);
    expect(await drawnCount(ana.page)).toBe(1);
    expect(await ana.page.getByTestId(`user-layer-${layerId}`).getAttribute('data-hidden')).toBe('false');
    await ben.page.reload();
    await waitForMap(ben.page);
    await eventually('Ben’s hidden layer to stay hidden after a reload', async () =>
      (await ben.page.getByTestId(`user-layer-${layerId}`).getAttribute('data-hidden')) === 'true'
        ? true
        : undefined,
    );
    expect(await drawnCount(ben.page)).toBe(0);
  });

  it('Ana deletes the layer (confirmed) and undoes it: both see the layer and its shape back', async () => {
    const anaRow = layerRows(ana.page).first();
    await anaRow.getByTestId('layer-delete').click();
    await anaRow.getByTestId('layer-delete-confirm').click();
    for (const person of [ana, ben]) {
      await eventually(`${person.name} to see the layer gone`, async () =>
        (await layerRows(person.page).count()) === 0 &&
        (await person.page.locator('[data-testid^=feature-item-][data-title="Square park"]').count()) === 0
          ? true
          : undefined,
      );
    }
    await saveMapScreenshot(ana.page, artifactsDir, 'user-layers-ana-deleted');
    await ana.page.getByTestId('layer-undo').click();
    for (const person of [ana, ben]) {
      await eventually(`${person.name} to see the layer and its shape back`, async () => {
        const row = layerRows(person.page).first();
        if ((await layerRows(person.page).count()) !== 1) return undefined;
        if ((await row.getAttribute('data-layer-name')) !== 'Parks') return undefined;
        const restored = await row.getAttribute('data-layer-id');
        const item = person.page.locator('[data-testid^=feature-item-][data-title="Square park"]');
        return (await item.getAttribute('data-layer')) === restored ? true : undefined;
      });
    }
    // It came back under a new id, with its style: both draw it again (Ben had hidden the old one).
    for (const person of [ana, ben]) {
      await eventually(`${person.name} to draw it in the layer colour`, async () =>
        (await drawnColor(person.page, 'Square park')) === MAGENTA ? true : undefined,
      );
    }
    await waitForMapIdle(ana.page);
    await saveMapScreenshot(ana.page, artifactsDir, 'user-layers-ana-desktop');
  });

  it('the Layers panel works in the phone bottom sheet (390×844)', async () => {
    const cleo = await newPerson(browser, 'Cleo', PHONE, { isMobile: true, hasTouch: true });
    await openMap(cleo, link);
    await cleo.page.getByTestId('sheet-toggle').click();
    const row = layerRows(cleo.page).first();
    await row.waitFor();
    await row.scrollIntoViewIfNeeded();
    const box = await row.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= PHONE.width).toBe(true);
    await row.getByTestId('layer-visibility').tap();
    await eventually('Cleo’s map to hide the layer', async () =>
      (await drawnCount(cleo.page)) === 0 ? true : undefined,
    );
    await saveMapScreenshot(cleo.page, artifactsDir, 'user-layers-phone');
    expect(cleo.errors).toEqual([]);
    expect(ana.errors).toEqual([]);
    expect(ben.errors).toEqual([]);
  });
});
