import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMap, mapLink } from './support/api.ts';
import {
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

const PHONE = { width: 390, height: 844 };
const CONTROLS = [
  'button',
  'input',
  'select',
  'textarea',
  'a[href]',
  '[data-testid=connection-status]',
  '.maplibregl-ctrl-scale',
  '.maplibregl-ctrl-attrib',
  '.draw-hint',
].join(',');

interface Box {
  what: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Every visible control's box as the person sees it: clipped by the scrolling containers it sits
 * in and by the screen, skipping what is hidden or scrolled out of sight, and skipping a control
 * inside another listed one (a button in a label) since those are one control.
 */
async function visibleControls(page: Page): Promise<Box[]> {
  return page.evaluate((selector) => {
    const all = [...document.querySelectorAll<HTMLElement>(selector)];
    const listed = new Set(all);
    const boxes: Box[] = [];
    for (const element of all) {
      let parent = element.parentElement;
      let nested = false;
      while (parent) {
        if (listed.has(parent)) nested = true;
        parent = parent.parentElement;
      }
      if (nested) continue;
      const style = getComputedStyle(element);
      if (style.visibility === 'hidden' || style.display === 'none' || Number(style.opacity) === 0) continue;
      const rect = element.getBoundingClientRect();
      let [left, top, right, bottom] = [rect.left, rect.top, rect.right, rect.bottom];
      for (let clip = element.parentElement; clip; clip = clip.parentElement) {
        const overflow = getComputedStyle(clip);
        if (overflow.overflowX === 'visible' && overflow.overflowY === 'visible') continue;
        const c = clip.getBoundingClientRect();
        [left, top, right, bottom] = [
          Math.max(left, c.left),
          Math.max(top, c.top),
          Math.min(right, c.right),
          Math.min(bottom, c.bottom),
        ];
      }
      [left, top, right, bottom] = [
        Math.max(left, 0),
        Math.max(top, 0),
        Math.min(right, window.innerWidth),
        Math.min(bottom, window.innerHeight),
      ];
      if (right - left < 2 || bottom - top < 2) continue;
      const what =
        element.dataset.testid ??
        element.getAttribute('aria-label') ??
        `${element.tagName.toLowerCase()}.${element.className}`;
      boxes.push({ what, x: left, y: top, width: right - left, height: bottom - top });
    }
    return boxes;
  }, CONTROLS);
}

function overlaps(boxes: Box[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i] as Box;
      const b = boxes[j] as Box;
      const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
      const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
      // One pixel of shared border is touching, not covering.
      if (w > 1 && h > 1) found.push(`${a.what} × ${b.what}`);
    }
  return found;
}

/** A finger held still on the map (Chromium's touch events through the DevTools protocol). */
async function longPress(cdp: CDPSession, x: number, y: number, holdMs: number): Promise<void> {
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
  await new Promise((resolve) => setTimeout(resolve, holdMs));
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

describe('a phone (390×844, touch): layout without overlaps, pinch, long-press to add', () => {
  const [web = ''] = inject('webUrls');
  const [realtime = ''] = inject('realtimeUrls');
  const artifactsDir = inject('artifactsDir');
  let browser: Browser;
  let ada: Person;
  let bo: Person;
  let cdp: CDPSession;

  beforeAll(async () => {
    const map = await createMap(realtime, 'Picnic by the Saône with a long name');
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada', PHONE, { isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
    bo = await newPerson(browser, 'Bo');
    const link = `${mapLink(web, map.id, map.editKey)}#12/45.76/4.835`;
    await openMap(bo, link);
    await openMap(ada, link);
    // Bo points at the map, so he is listed (people who only watch are counted, not shown).
    const box = await mapOf(bo.page).boundingBox();
    if (box) await bo.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 3 });
    cdp = await ada.context.newCDPSession(ada.page);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('gives the map most of the screen, tools within thumb reach, and no control over another', async () => {
    const { page } = ada;
    await page.locator('[data-testid^=avatar-][data-name=Bo]').waitFor();
    const map = await mapOf(page).boundingBox();
    if (!map) throw new Error('no map box');
    expect(map.width).toBeGreaterThanOrEqual(PHONE.width - 1);
    expect(map.height / PHONE.height).toBeGreaterThanOrEqual(0.6);
    const toolbar = await page.getByRole('toolbar', { name: 'Map tools' }).boundingBox();
    if (!toolbar) throw new Error('no toolbar');
    expect(toolbar.y).toBeGreaterThan(PHONE.height / 2);
    expect(toolbar.y + toolbar.height).toBeLessThanOrEqual(map.y + map.height);
    for (const tool of [
      'tool-select',
      'tool-marker',
      'tool-line',
      'tool-polygon',
      'tool-measure',
      'undo',
      'export',
    ]) {
      const box = await page.getByTestId(tool).boundingBox();
      expect(box?.width, tool).toBeGreaterThanOrEqual(44);
      expect(box?.height, tool).toBeGreaterThanOrEqual(44);
    }
    for (const selector of ['[data-testid=avatar-self]', '[data-testid^=avatar-][data-name=Bo]']) {
      const avatar = await page.locator(selector).boundingBox();
      expect(avatar && avatar.x >= 0 && avatar.x + avatar.width <= PHONE.width).toBe(true);
    }
    // The title stays readable (it was squeezed to one letter when the avatars fitted beside it).
    const title = await page.getByTestId('map-title').boundingBox();
    expect(title?.width ?? 0).toBeGreaterThanOrEqual(PHONE.width * 0.4 - 1);
    const boxes = await visibleControls(page);
    expect(boxes.length).toBeGreaterThan(10);
    expect(overlaps(boxes)).toEqual([]);
    await saveMapScreenshot(page, artifactsDir, 'phone-map');
  });

  it('a long press on the map adds a marker that the other person sees', async () => {
    const centre = await mapCenterPoint(ada.page);
    await longPress(cdp, centre.x + 40, centre.y - 60, 800);
    await expect.poll(() => featureItems(bo.page).count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => mapOf(ada.page).getAttribute('data-feature-count')).toBe('1');
    // A short tap does not add one.
    await ada.page.touchscreen.tap(centre.x - 60, centre.y + 60);
    await ada.page.waitForTimeout(1200);
    expect(await featureItems(bo.page).count()).toBe(1);
  });

  it('shows the details in a bottom sheet that leaves the map visible and overlaps nothing', async () => {
    const { page } = ada;
    await page.getByTestId('sheet-toggle').tap();
    await featureItems(page).first().tap();
    await page.getByTestId('feature-details').waitFor();
    await waitForMapIdle(page);
    const map = await mapOf(page).boundingBox();
    expect(map && map.height >= 200).toBe(true);
    expect(overlaps(await visibleControls(page))).toEqual([]);
    await saveMapScreenshot(page, artifactsDir, 'phone-sheet');
    await page.getByTestId('sheet-toggle').tap();
    await expect
      .poll(async () => ((await mapOf(page).boundingBox())?.height ?? 0) / PHONE.height)
      .toBeGreaterThanOrEqual(0.6);
  });

  it('pinch-zooms the map', async () => {
    await ada.page.keyboard.press('Escape');
    const before = Number(await mapOf(ada.page).getAttribute('data-zoom'));
    const centre = await mapCenterPoint(ada.page);
    await cdp.send('Input.synthesizePinchGesture', {
      x: centre.x,
      y: centre.y,
      scaleFactor: 2.5,
      relativeSpeed: 400,
      gestureSourceType: 'touch',
    });
    await waitForMapIdle(ada.page);
    const after = Number(await mapOf(ada.page).getAttribute('data-zoom'));
    expect(after - before).toBeGreaterThan(0.5);
    expect(ada.errors).toEqual([]);
  });
});
