import { PERSON_PALETTE } from '@meridian/protocol';
import { MeridianClient, type WebSocketConstructor } from '@meridian/protocol/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { createMap, mapLink, sessionToken } from './support/api.ts';
import {
  launchBrowser,
  mapCenterPoint,
  newPerson,
  openMap,
  type Person,
  waitForMap,
} from './support/browser.ts';

const PHONE = { width: 390, height: 844 };

/** Move the pointer over the map: that is "doing something", which lists an editor. */
async function pointAtMap(page: Page, dx = 0): Promise<void> {
  const centre = await mapCenterPoint(page);
  await page.mouse.move(centre.x + dx - 20, centre.y - 10);
  await page.mouse.move(centre.x + dx, centre.y, { steps: 3 });
}

/** The other people's avatars on a page (not its own). */
const othersOn = (page: Page) => page.locator('[data-testid^=avatar-]:not([data-testid=avatar-self])');

// One browser profile is one person however many tabs it has open; every person listed on a map
// has a colour nobody else there has; people who only watch are counted, not listed.
describe('identity: one person across tabs, one colour per person, the audience', () => {
  const webUrls = inject('webUrls');
  const realtimeUrls = inject('realtimeUrls');
  const [web = ''] = webUrls;
  const [realtime = ''] = realtimeUrls;
  let browser: Browser;
  let ada: Person;
  let adaTab2: Page;
  let bo: Person;
  let map: Awaited<ReturnType<typeof createMap>>;
  const robots: MeridianClient[] = [];

  beforeAll(async () => {
    map = await createMap(realtime, 'Who is here');
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
    bo = await newPerson(browser, 'Bo');
    await openMap(ada, mapLink(web, map.id, map.editKey));
    // A second tab of the same browser profile (same context, same origin): her name and person id
    // are remembered there (the integration tests cover one person's tabs on two realtime nodes).
    adaTab2 = await ada.context.newPage();
    await adaTab2.goto(mapLink(web, map.id, map.editKey));
    await waitForMap(adaTab2);
    await openMap(bo, mapLink(web, map.id, map.editKey));
  });

  afterAll(async () => {
    for (const robot of robots) robot.close();
    await browser?.close();
  });

  it('shows two tabs of one person once to someone else, and never offers to follow yourself', async () => {
    await pointAtMap(ada.page);
    await pointAtMap(adaTab2, 40);
    await pointAtMap(bo.page);
    await expect.poll(() => othersOn(bo.page).count(), { timeout: 20_000 }).toBe(1);
    expect(await othersOn(bo.page).first().getAttribute('data-name')).toBe('Ada');
    expect(await bo.page.locator('[data-testid^=cursor-]').count()).toBe(1);
    // Each of Ada's tabs lists Bo only: her other tab is not "someone else".
    for (const page of [ada.page, adaTab2]) {
      await expect.poll(() => othersOn(page).count(), { timeout: 20_000 }).toBe(1);
      expect(await othersOn(page).first().getAttribute('data-name')).toBe('Bo');
      expect(await page.getByRole('button', { name: 'Follow Ada' }).count()).toBe(0);
    }
    // Both tabs show the colour the map gave her, the one Bo sees.
    const adaColor = await othersOn(bo.page).first().getAttribute('data-color');
    await expect.poll(() => ada.page.getByTestId('avatar-self').getAttribute('data-color')).toBe(adaColor);
    await expect.poll(() => adaTab2.getByTestId('avatar-self').getAttribute('data-color')).toBe(adaColor);
    await bo.page.screenshot({ path: '/tmp/ident-two-tabs-bo.png' });

    // One tab closes: Ada is still there.
    await adaTab2.close();
    await bo.page.waitForTimeout(1500);
    expect(await othersOn(bo.page).count()).toBe(1);
  });

  it('gives 12 people (4 in browsers, 8 protocol clients) 12 distinct colours', async () => {
    const cy = await newPerson(browser, 'Cy');
    const dee = await newPerson(browser, 'Dee', PHONE, { isMobile: true, hasTouch: true });
    await openMap(cy, mapLink(webUrls[1] ?? web, map.id, map.editKey));
    await openMap(dee, mapLink(web, map.id, map.editKey));
    await pointAtMap(cy.page);
    // A tap on the phone's map is its pointer over the map.
    const centre = await mapCenterPoint(dee.page);
    await dee.page.touchscreen.tap(centre.x, centre.y - 80);
    const token = await sessionToken(realtime, map.id, map.editKey);
    for (let i = 0; i < 8; i++) {
      // All eight ask for the same colour, on both nodes: the map has to settle who keeps it.
      const url = realtimeUrls[i % realtimeUrls.length] ?? realtime;
      const robot = new MeridianClient({
        url: `${url.replace(/^http/, 'ws')}/ws`,
        mapId: map.id,
        token,
        personId: `robot-${i}`,
        user: { name: `Robot ${i}`, color: PERSON_PALETTE[0] },
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        pingIntervalMs: 0,
      });
      robot.connect();
      robot.setCursor([4.8 + i / 100, 45.7]);
      robots.push(robot);
    }
    // Bo sees eleven other people and himself: twelve colours, all different.
    const colours = async () => [
      await bo.page.getByTestId('avatar-self').getAttribute('data-color'),
      ...(await othersOn(bo.page).evaluateAll((els) => els.map((el) => el.getAttribute('data-color')))),
    ];
    await expect.poll(async () => (await colours()).length, { timeout: 30_000 }).toBe(12);
    await expect.poll(async () => new Set(await colours()).size, { timeout: 30_000 }).toBe(12);
    await bo.page.screenshot({ path: '/tmp/ident-twelve-bo.png' });
    // On a phone, eleven other people fold into "+N" instead of running off the screen.
    await expect.poll(() => othersOn(dee.page).count(), { timeout: 30_000 }).toBe(11);
    const rows = await dee.page
      .locator('.presence > li')
      .evaluateAll((els) => els.map((el) => el.getBoundingClientRect().toJSON() as DOMRect));
    for (const box of rows) expect(box.left >= 0 && box.right <= PHONE.width).toBe(true);
    const summon = await dee.page.getByTestId('summon').boundingBox();
    expect(summon && summon.x >= 0 && summon.x + summon.width <= PHONE.width).toBe(true);
    await dee.page.getByTestId('more-people').locator('summary').click();
    const list = await dee.page.locator('.more-people-list').boundingBox();
    expect(list && list.x >= 0 && list.x + list.width <= PHONE.width).toBe(true);
    await dee.page.screenshot({ path: '/tmp/ident-twelve-phone.png' });
    await cy.context.close();
    await dee.context.close();
  });

  it('counts viewers as "N watching" instead of listing them', async () => {
    const eve = await newPerson(browser, 'Eve');
    await openMap(eve, mapLink(web, map.id, map.viewKey));
    await eve.page.getByTestId('view-only-badge').waitFor();
    await pointAtMap(eve.page);
    const viewToken = await sessionToken(realtime, map.id, map.viewKey);
    for (let i = 0; i < 3; i++) {
      const viewer = new MeridianClient({
        url: `${(realtimeUrls[1] ?? realtime).replace(/^http/, 'ws')}/ws`,
        mapId: map.id,
        token: viewToken,
        user: { name: `Viewer ${i}`, color: PERSON_PALETTE[1] },
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        pingIntervalMs: 0,
      });
      viewer.connect();
      robots.push(viewer);
    }
    await expect
      .poll(() => bo.page.getByTestId('watching').getAttribute('data-count'), { timeout: 20_000 })
      .toBe('4');
    expect(await bo.page.getByTestId('watching').textContent()).toBe('4 watching');
    expect(await bo.page.locator('[data-testid^=avatar-][data-name^=Viewer]').count()).toBe(0);
    expect(await bo.page.locator('[data-testid^=avatar-][data-name=Eve]').count()).toBe(0);
    // The viewer sees the people doing something, and can follow them.
    await expect.poll(() => othersOn(eve.page).count(), { timeout: 20_000 }).toBeGreaterThan(0);
    const boOnEve = eve.page.locator('[data-testid^=avatar-][data-name=Bo]');
    if (!(await boOnEve.isVisible())) await eve.page.getByTestId('more-people').locator('summary').click();
    await boOnEve.click();
    await eve.page.getByTestId('following-banner').waitFor();
    await bo.page.screenshot({ path: '/tmp/ident-watching-bo.png' });
    expect([...ada.errors, ...bo.errors, ...eve.errors]).toEqual([]);
  });
});
