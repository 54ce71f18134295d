import type { Browser, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMap, mapLink } from './support/api.ts';
import {
  DEFAULT_VIEWPORT,
  featureItems,
  launchBrowser,
  mapCenterPoint,
  mapOf,
  newPerson,
  openMap,
  type Person,
  saveMapScreenshot,
  waitForMapIdle,
} from './support/browser.ts';

/** Long enough for an op to travel to the server and back on this machine, if one had been sent. */
const SETTLE_MS = 1500;

describe('view links and offline edits', () => {
  const [web = ''] = inject('webUrls');
  const [realtime = ''] = inject('realtimeUrls');
  const artifactsDir = inject('artifactsDir');
  let browser: Browser;
  let ada: Person;
  let carol: Person;
  let bo: Person;
  let map: Awaited<ReturnType<typeof createMap>>;

  beforeAll(async () => {
    map = await createMap(realtime, 'Field trip');
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
    carol = await newPerson(browser, 'Carol');
    bo = await newPerson(browser, 'Bo');
    await openMap(ada, mapLink(web, map.id, map.editKey));
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('a view link shows the map read-only and offers no way to edit', async () => {
    await openMap(carol, mapLink(web, map.id, map.viewKey));
    await carol.page.getByTestId('view-only-badge').waitFor();
    expect(await carol.page.getByTestId('tool-marker').count()).toBe(0);
    expect(await carol.page.getByTestId('undo').count()).toBe(0);
    expect(await carol.page.getByTestId('summon').count()).toBe(0);
    expect(await carol.page.getByTestId('share').count()).toBe(0);
    expect(await carol.page.getByTestId('map-title').evaluate((el) => el.tagName)).toBe('H1');
    // Ada (pointing at her map, so listed) counts Carol among those watching; Carol is not listed.
    const centre = await mapCenterPoint(ada.page);
    await ada.page.mouse.move(centre.x, centre.y, { steps: 3 });
    await ada.page.locator('[data-testid=watching][data-count="1"]').waitFor();
    expect(await ada.page.getByTestId('watching').textContent()).toBe('1 watching');
    expect(await ada.page.locator('[data-testid^=avatar-][data-name=Carol]').count()).toBe(0);
  });

  it('an editor on a device that did not create the map gets a fresh view link, and it opens view-only', async () => {
    // Ada opened the edit link in a fresh context: her device never saw the map's view key.
    await ada.page.getByTestId('share').click();
    await ada.page.getByTestId('share-panel').waitFor();
    expect(await ada.page.getByTestId('share-view-link').count()).toBe(0);
    await ada.page.getByTestId('share-view-create').click();
    const field = ada.page.getByTestId('share-view-link');
    await field.waitFor();
    const link = await field.inputValue();
    const url = new URL(link);
    expect(url.pathname).toBe(`/m/${map.id}`);
    const key = url.searchParams.get('key') ?? '';
    expect(key.length).toBeGreaterThan(20);
    expect(key).not.toBe(map.viewKey);
    expect(key).not.toBe(map.editKey);
    await ada.page.getByRole('button', { name: 'Close sharing' }).click();

    const eve = await newPerson(browser, 'Eve');
    await openMap(eve, link);
    await eve.page.getByTestId('view-only-badge').waitFor();
    expect(await eve.page.getByTestId('tool-marker').count()).toBe(0);
    expect(await eve.page.getByTestId('share').count()).toBe(0);
    expect(eve.errors).toEqual([]);
    await eve.context.close();
  });

  it('a viewer sees edits but cannot move, retitle, delete or add', async () => {
    await ada.page.getByTestId('tool-marker').click();
    const centre = await mapCenterPoint(ada.page);
    await ada.page.mouse.click(centre.x, centre.y);
    await expect.poll(() => featureItems(carol.page).count()).toBe(1);
    const id = (await featureItems(carol.page).first().getAttribute('data-feature-id')) ?? '';
    const position = await ada.page.getByTestId(`feature-item-${id}`).getAttribute('data-position');

    await carol.page.getByTestId(`feature-item-${id}`).click();
    await carol.page.getByTestId('feature-details').waitFor();
    expect(await carol.page.getByTestId('feature-title').count()).toBe(0);
    expect(await carol.page.getByTestId('feature-delete').count()).toBe(0);
    await waitForMapIdle(carol.page);

    // Try to drag the marker, to delete it with the keyboard, and to add one with the shortcut.
    const carolCentre = await mapCenterPoint(carol.page);
    await carol.page.mouse.move(carolCentre.x, carolCentre.y);
    await carol.page.mouse.down();
    await carol.page.mouse.move(carolCentre.x + 120, carolCentre.y + 60, { steps: 6 });
    await carol.page.mouse.up();
    await carol.page.keyboard.press('Delete');
    await carol.page.keyboard.press('m');
    await carol.page.mouse.click(carolCentre.x - 100, carolCentre.y - 50);
    await carol.page.waitForTimeout(SETTLE_MS);

    expect(await featureItems(ada.page).count()).toBe(1);
    expect(await ada.page.getByTestId(`feature-item-${id}`).getAttribute('data-position')).toBe(position);
    expect(await featureItems(carol.page).count()).toBe(1);
  });

  it('fits a phone screen with touch-sized controls', async () => {
    await carol.page.setViewportSize({ width: 390, height: 844 });
    await ada.page.setViewportSize({ width: 390, height: 844 });
    for (const tool of ['tool-select', 'tool-marker', 'tool-line', 'tool-polygon', 'undo', 'export']) {
      const box = await ada.page.getByTestId(tool).boundingBox();
      expect(box?.height, tool).toBeGreaterThanOrEqual(44);
      expect(box?.width, tool).toBeGreaterThanOrEqual(44);
    }
    const mapBox = await mapOf(ada.page).boundingBox();
    expect(mapBox?.width).toBe(390);
    expect(mapBox?.height).toBeGreaterThan(300);
    const panel = await ada.page.locator('.sidepanel').boundingBox();
    expect(panel && mapBox && panel.y >= mapBox.y + mapBox.height - 1).toBe(true);
    await carol.page.getByTestId('view-only-badge').waitFor();
    await saveMapScreenshot(ada.page, artifactsDir, 'phone-edit');
    await saveMapScreenshot(carol.page, artifactsDir, 'phone-view');
    await ada.page.setViewportSize(DEFAULT_VIEWPORT);
    // Carol's part is over; one browser page fewer to draw on a two-core machine.
    await carol.context.close();
  });

  it('an edit made offline is queued, shown as pending, and arrives when back online', async () => {
    // Chromium's offline emulation leaves open WebSockets alone, so the test also cuts the
    // realtime socket itself (and refuses new ones) for as long as Bo is "offline".
    let offline = false;
    const routes = new Set<WebSocketRoute>();
    await bo.page.routeWebSocket(/\/ws(\?|$)/, (socket) => {
      if (offline) {
        void socket.close({ code: 1001, reason: 'offline' });
        return;
      }
      routes.add(socket);
      routes.add(socket.connectToServer());
    });
    await openMap(bo, mapLink(web, map.id, map.editKey));
    const before = await featureItems(ada.page).count();

    offline = true;
    await bo.context.setOffline(true);
    await Promise.all([...routes].map((route) => route.close({ code: 1001, reason: 'offline' })));
    routes.clear();
    const status = bo.page.getByTestId('connection-status');
    await expect.poll(() => status.getAttribute('data-status')).toMatch(/^(backoff|connecting|handshaking)$/);

    await bo.page.getByTestId('tool-marker').click();
    const centre = await mapCenterPoint(bo.page);
    await bo.page.mouse.click(centre.x + 80, centre.y + 40);
    await bo.page.getByTestId('feature-title').fill('Written offline');
    await bo.page.getByTestId('feature-title').press('Enter');

    await expect.poll(() => status.getAttribute('data-pending')).toBe('2');
    expect(await status.textContent()).toMatch(/Offline · 2 changes waiting/);
    expect(await featureItems(bo.page).count()).toBe(before + 1);
    await ada.page.waitForTimeout(SETTLE_MS);
    expect(await featureItems(ada.page).count()).toBe(before);

    offline = false;
    await bo.context.setOffline(false);
    const arrived = ada.page.locator('[data-testid^=feature-item-][data-title="Written offline"]');
    await expect.poll(() => arrived.count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => status.getAttribute('data-status')).toBe('joined');
    await expect.poll(() => status.getAttribute('data-pending')).toBe('0');
  });

  it('reconnects as soon as the browser is back online, without waiting out its backoff', async () => {
    const dee = await newPerson(browser, 'Dee');
    let offline = false;
    let attempts = 0;
    const routes = new Set<WebSocketRoute>();
    await dee.page.routeWebSocket(/\/ws(\?|$)/, (socket) => {
      attempts++;
      if (offline) {
        void socket.close({ code: 1001, reason: 'offline' });
        return;
      }
      routes.add(socket);
      routes.add(socket.connectToServer());
    });
    // Fake timers that run at normal speed until paused: the page loads and draws as usual.
    await dee.page.clock.install();
    await openMap(dee, mapLink(web, map.id, map.editKey));

    offline = true;
    await dee.context.setOffline(true);
    await Promise.all([...routes].map((route) => route.close({ code: 1001, reason: 'offline' })));
    const status = dee.page.getByTestId('connection-status');
    await expect.poll(() => status.getAttribute('data-status')).toMatch(/^(backoff|connecting|handshaking)$/);
    await dee.page.getByTestId('tool-marker').click();
    const centre = await mapCenterPoint(dee.page);
    await dee.page.mouse.click(centre.x - 60, centre.y + 40);
    await dee.page.getByTestId('feature-title').fill('Back online');
    await dee.page.getByTestId('feature-title').press('Enter');
    await expect.poll(() => status.getAttribute('data-pending')).toBe('2');

    // From now on no timer fires in Dee's page: the reconnect the backoff scheduled never comes.
    // Only the browser's `online` event can bring Dee back.
    // (The jump may fire a due reconnect: it is refused, as the page is still offline.)
    await dee.page.clock.pauseAt((await dee.page.evaluate(() => Date.now())) + 1000);
    // An attempt already under way when the clock stopped is let to fail first.
    let seen = -1;
    while (seen !== attempts) {
      seen = attempts;
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    offline = false;
    await dee.context.setOffline(false);
    const arrived = ada.page.locator('[data-testid^=feature-item-][data-title="Back online"]');
    await expect.poll(() => arrived.count(), { timeout: 30_000 }).toBe(1);

    await dee.page.clock.resume();
    await expect.poll(() => status.getAttribute('data-pending')).toBe('0');
    expect(dee.errors).toEqual([]);
    await dee.context.close();
  });

  it('raised no page errors', () => {
    expect([...ada.errors, ...carol.errors, ...bo.errors]).toEqual([]);
  });
});
