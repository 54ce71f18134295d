import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMap, mapLink } from './support/api.ts';
import {
  eventually,
  featureItems,
  launchBrowser,
  mapCenterPoint,
  newPerson,
  openMap,
  type Person,
  saveMapScreenshot,
  waitForMapIdle,
} from './support/browser.ts';

describe('two people on one map through two realtime nodes', () => {
  const webUrls = inject('webUrls');
  const realtimeUrls = inject('realtimeUrls');
  const artifactsDir = inject('artifactsDir');
  let browser: Browser;
  let ada: Person;
  let bo: Person;
  const sockets: Record<string, string[]> = { Ada: [], Bo: [] };

  beforeAll(async () => {
    const map = await createMap(realtimeUrls[0] ?? '', 'Across nodes');
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
    bo = await newPerson(browser, 'Bo');
    for (const person of [ada, bo]) person.page.on('websocket', (ws) => sockets[person.name]?.push(ws.url()));
    await openMap(ada, mapLink(webUrls[0] ?? '', map.id, map.editKey));
    await openMap(bo, mapLink(webUrls[1] ?? '', map.id, map.editKey));
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('connects each person to a different node', () => {
    const port = (url: string) => new URL(url).port;
    expect(sockets.Ada?.map(port)).toContain(port(realtimeUrls[0] ?? ''));
    expect(sockets.Bo?.map(port)).toContain(port(realtimeUrls[1] ?? ''));
  });

  it('carries edits, moves, titles and deletes across nodes', async () => {
    await ada.page.getByTestId('tool-marker').click();
    const centre = await mapCenterPoint(ada.page);
    await ada.page.mouse.click(centre.x, centre.y);
    await expect.poll(() => featureItems(bo.page).count()).toBe(1);
    const id = (await featureItems(bo.page).first().getAttribute('data-feature-id')) ?? '';
    const before = await ada.page.getByTestId(`feature-item-${id}`).getAttribute('data-position');

    await bo.page.getByTestId(`feature-item-${id}`).click();
    await waitForMapIdle(bo.page);
    const boCentre = await mapCenterPoint(bo.page);
    await bo.page.mouse.move(boCentre.x, boCentre.y);
    await bo.page.mouse.down();
    await bo.page.mouse.move(boCentre.x - 100, boCentre.y - 60, { steps: 8 });
    await bo.page.mouse.up();
    await eventually('the move to cross nodes', async () => {
      const now = await ada.page.getByTestId(`feature-item-${id}`).getAttribute('data-position');
      return now && now !== before ? now : undefined;
    });

    await bo.page.getByTestId('feature-title').fill('Met halfway');
    await bo.page.getByTestId('feature-title').press('Enter');
    await expect
      .poll(() => ada.page.getByTestId(`feature-item-${id}`).getAttribute('data-title'))
      .toBe('Met halfway');

    await ada.page.getByTestId(`feature-item-${id}`).click();
    await ada.page.getByTestId('feature-delete').click();
    await expect.poll(() => featureItems(bo.page).count()).toBe(0);
  });

  it('draws an area, and undo / redo travel across nodes', async () => {
    await ada.page.keyboard.press('p');
    const centre = await mapCenterPoint(ada.page);
    for (const [dx, dy] of [
      [-80, -40],
      [60, -50],
      [40, 60],
    ]) {
      await ada.page.mouse.click(centre.x + (dx ?? 0), centre.y + (dy ?? 0));
    }
    await expect.poll(() => ada.page.getByTestId('map').getAttribute('data-draft-vertices')).toBe('3');
    await ada.page.keyboard.press('Enter');
    const area = bo.page.locator('[data-testid^=feature-item-]', { hasText: 'Untitled area' });
    await expect.poll(() => area.count()).toBe(1);

    await ada.page.getByTestId('feature-details-close').click();
    await ada.page.keyboard.press('Control+z');
    await expect.poll(() => area.count()).toBe(0);
    await ada.page.keyboard.press('Control+Shift+z');
    await expect.poll(() => area.count()).toBe(1);
  });

  it("shows each person's cursor on the other node", async () => {
    const centre = await mapCenterPoint(bo.page);
    for (let i = 0; i < 4; i++) await bo.page.mouse.move(centre.x + 30 * i, centre.y + 10 * i, { steps: 2 });
    const cursor = ada.page.locator('[data-testid^=cursor-][data-visible=true]');
    await cursor.waitFor();
    expect(await cursor.textContent()).toBe('Bo');
    await saveMapScreenshot(ada.page, artifactsDir, 'cross-node-ada');
  });

  it('raised no page errors', () => {
    expect([...ada.errors, ...bo.errors]).toEqual([]);
  });
});
