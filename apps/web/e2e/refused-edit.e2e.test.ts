import { MeridianClient, type WebSocketConstructor } from '@meridian/protocol/client';
import type { Browser, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { createMap, mapLink, sessionToken } from './support/api.ts';
import {
  launchBrowser,
  mapCenterPoint,
  newPerson,
  openMap,
  type Person,
  saveMapScreenshot,
  waitForMapIdle,
} from './support/browser.ts';

// Ada moves a marker while her connection is down; meanwhile Bo deletes it. When Ada is back, the
// server refuses her move for good: she is told, in words, which edit and why.
describe('an edit refused for good', () => {
  const [web = ''] = inject('webUrls');
  const [realtime = ''] = inject('realtimeUrls');
  const artifactsDir = inject('artifactsDir');
  let browser: Browser;
  let ada: Person;
  let bo: MeridianClient;

  beforeAll(async () => {
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
  });

  afterAll(async () => {
    bo?.close();
    await browser?.close();
  });

  it('names the edit and the reason, with the raw detail one click away', async () => {
    const map = await createMap(realtime, 'Picnic');
    bo = new MeridianClient({
      url: `${realtime.replace(/^http/, 'ws')}/ws`,
      mapId: map.id,
      getToken: () => sessionToken(realtime, map.id, map.editKey),
      user: { name: 'Bo', color: '#0e7490' },
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      pingIntervalMs: 0,
    });
    bo.connect();
    const featureId = bo.createFeature(
      { type: 'Point', coordinates: [4.83, 45.76] },
      { title: 'Meeting point' },
    );
    await expect.poll(() => bo.joined && bo.pendingCount === 0, { timeout: 30_000 }).toBe(true);

    let offline = false;
    const routes = new Set<WebSocketRoute>();
    await ada.page.routeWebSocket(/\/ws(\?|$)/, (socket) => {
      if (offline) {
        void socket.close({ code: 1001, reason: 'offline' });
        return;
      }
      routes.add(socket);
      routes.add(socket.connectToServer());
    });
    await openMap(ada, mapLink(web, map.id, map.editKey));
    const item = ada.page.getByTestId(`feature-item-${featureId}`);
    await item.click();
    await waitForMapIdle(ada.page);

    offline = true;
    await Promise.all([...routes].map((route) => route.close({ code: 1001, reason: 'offline' })));
    routes.clear();
    const status = ada.page.getByTestId('connection-status');
    await expect.poll(() => status.getAttribute('data-status')).toMatch(/^(backoff|connecting|handshaking)$/);

    bo.deleteFeature(featureId);
    await expect.poll(() => bo.pendingCount, { timeout: 30_000 }).toBe(0);

    const centre = await mapCenterPoint(ada.page);
    await ada.page.mouse.move(centre.x, centre.y);
    await ada.page.mouse.down();
    await ada.page.mouse.move(centre.x + 60, centre.y + 30, { steps: 4 });
    await ada.page.mouse.move(centre.x + 120, centre.y + 60, { steps: 6 });
    await ada.page.mouse.up();
    await expect.poll(() => status.getAttribute('data-pending')).toBe('1');

    offline = false;
    const toast = ada.page.getByTestId('toast').filter({ hasText: 'was refused' });
    await toast.waitFor({ timeout: 30_000 });
    expect(await toast.locator('span').first().textContent()).toBe(
      "Your move of 'Meeting point' was refused: someone else deleted it.",
    );
    await toast.getByText('Details').click();
    expect(await toast.locator('code').textContent()).toMatch(
      /^FEATURE_NOT_FOUND: .+ \(op o-[A-Za-z0-9]+\)$/,
    );
    await expect.poll(() => status.getAttribute('data-status')).toBe('joined');
    await expect.poll(() => status.getAttribute('data-pending')).toBe('0');
    expect(await item.count()).toBe(0);
    await saveMapScreenshot(ada.page, artifactsDir, 'refused-edit');
    expect(ada.errors).toEqual([]);
  });
});
