import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMap, mapLink } from './support/api.ts';
import { launchBrowser, newPerson, openMap, type Person } from './support/browser.ts';

describe('rough edges: developer tools behind ?debug, honest offline status, errors in words', () => {
  const [web = ''] = inject('webUrls');
  const [realtime = ''] = inject('realtimeUrls');
  let browser: Browser;
  let ada: Person;
  let link = '';

  beforeAll(async () => {
    const map = await createMap(realtime, 'Rough edges');
    link = mapLink(web, map.id, map.editKey);
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
    await openMap(ada, link);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the traffic inspector only with ?debug', async () => {
    const { page } = ada;
    expect(await page.getByTestId('inspector-toggle').count()).toBe(0);
    await page.keyboard.press('i');
    expect(await page.getByTestId('traffic-inspector').count()).toBe(0);
    await page.goto(`${link}&debug`);
    await page.getByTestId('inspector-toggle').waitFor();
    await page.goto(link);
    await page.getByTestId('map').waitFor();
    expect(await page.getByTestId('inspector-toggle').count()).toBe(0);
  });

  it('opens its WebSocket with no access token in the URL (the token rides in the subprotocol)', async () => {
    const page = await ada.context.newPage();
    const urls: string[] = [];
    const consoleLines: string[] = [];
    page.on('websocket', (socket) => urls.push(socket.url()));
    page.on('console', (message) => consoleLines.push(message.text()));
    await page.goto(link);
    await page.locator('[data-testid=connection-status][data-status=joined]').waitFor();
    const realtimeSockets = urls.filter((url) => url.includes('/ws'));
    expect(realtimeSockets.length).toBeGreaterThan(0);
    for (const url of realtimeSockets) expect(url).not.toMatch(/token=|bearer/);
    expect(consoleLines.join('\n')).not.toMatch(/token=|bearer\./);
    await page.close();
  });

  it('says Offline the moment the browser goes offline, and Connected when it is back', async () => {
    const status = ada.page.getByTestId('connection-status');
    await ada.page.locator('[data-testid=connection-status][data-status=joined]').waitFor();
    await ada.context.setOffline(true);
    // At once: no socket timeout to wait for (the socket may still look open).
    await expect.poll(() => status.textContent(), { timeout: 5000, interval: 50 }).toMatch(/^Offline/);
    expect(await status.getAttribute('data-tone')).toBe('bad');
    await ada.context.setOffline(false);
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/^Connected/);
  });

  it('says an unreachable feed host in words, with the raw error one click away', async () => {
    const { page } = ada;
    await page.getByTestId('add-layer-open').click();
    await page.getByTestId('layer-url').fill('http://feeds.meridian-test.invalid/quakes.atom');
    await page.getByTestId('layer-name-input').fill('Quakes');
    await page.getByTestId('layer-add').click();
    const row = page.locator('li[data-layer-id]').filter({ hasText: 'Quakes' });
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('error');
    const line = await row.getByTestId('layer-status').textContent();
    expect(line).toMatch(/^error: Could not reach feeds\.meridian-test\.invalid/);
    expect(line).not.toMatch(/ENOTFOUND|EAI_AGAIN|getaddrinfo/);
    const detail = row.getByTestId('layer-status-detail');
    expect(await detail.locator('code').isVisible()).toBe(false);
    await detail.locator('summary').click();
    expect(await detail.locator('code').textContent()).toMatch(
      /getaddrinfo (ENOTFOUND|EAI_AGAIN) feeds\.meridian-test\.invalid/,
    );
  });
});
