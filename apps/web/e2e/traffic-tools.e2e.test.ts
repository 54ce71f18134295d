import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMap, mapLink } from './support/api.ts';
import { launchBrowser, newPerson, openMap, type Person } from './support/browser.ts';

interface ExportedEntry {
  kind: string;
  direction?: string;
  type?: string;
  bytes?: number;
  payload?: { type?: string; op?: { kind?: string; feature?: { properties?: Record<string, unknown> } } };
}

describe('WebSocket tools in the browser', () => {
  const [web] = inject('webUrls');
  const [realtime] = inject('realtimeUrls');
  let browser: Browser;
  let ada: Person;

  beforeAll(async () => {
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('the traffic inspector lists the messages of a marker edit, filters them and exports them', async () => {
    const map = await createMap(realtime ?? '', 'Inspected');
    await openMap(ada, `${mapLink(web ?? '', map.id, map.editKey)}&debug`);
    const { page } = ada;

    // The key toggles the panel when no field has focus.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('i');
    const panel = page.getByTestId('traffic-inspector');
    await panel.waitFor();
    const rows = panel.getByTestId('inspector-row');
    // Captured since the connection opened: the handshake messages are already there.
    await expect.poll(() => panel.locator('[data-type=welcome]').count()).toBeGreaterThan(0);

    // Place a marker at the map's centre with the keyboard (m, then Enter): the panel stays open.
    await page.keyboard.press('m');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('map').getAttribute('data-feature-count')).toBe('1');

    const row = (direction: string, type: string) =>
      panel.locator(`[data-direction=${direction}][data-type=${type}]`);
    await expect.poll(() => row('out', 'op').count()).toBeGreaterThan(0);
    await expect.poll(() => row('in', 'ack').count()).toBeGreaterThan(0);
    await expect.poll(() => row('in', 'op').count()).toBeGreaterThan(0);
    const opText = (await row('out', 'op').last().textContent()) ?? '';
    expect(opText).toContain('feature.create');
    expect(opText).toMatch(/\d+ B/);

    await panel.getByTestId('inspector-direction').selectOption('out');
    await panel.getByTestId('inspector-type').selectOption('op');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    // Closes and status changes stay visible under any filter; the frames are only outgoing ops.
    const shown = await rows.evaluateAll((items) =>
      items.map((item) => `${item.getAttribute('data-direction')}:${item.getAttribute('data-type')}`),
    );
    expect(new Set(shown.filter((row) => !row.startsWith('event:')))).toEqual(new Set(['out:op']));

    await panel.getByTestId('inspector-ping').click();
    await expect.poll(() => panel.getByTestId('inspector-rtt').textContent()).toMatch(/RTT \d+ ms/);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByTestId('inspector-export').click(),
    ]);
    const exported = JSON.parse(await readFile((await download.path()) ?? '', 'utf8')) as {
      mapId: string;
      entries: ExportedEntry[];
    };
    expect(exported.mapId).toBe(map.id);
    const create = exported.entries.find(
      (entry) => entry.direction === 'out' && entry.payload?.op?.kind === 'feature.create',
    );
    expect(create?.type).toBe('op');
    expect(create?.bytes).toBeGreaterThan(0);
    expect(exported.entries.some((entry) => entry.direction === 'in' && entry.type === 'ack')).toBe(true);

    await page.keyboard.press('i');
    await panel.waitFor({ state: 'detached' });
    expect(ada.errors).toEqual([]);
  });

  it('the echo page talks to the realtime echo endpoint: text, binary, RTT and the close code', async () => {
    const { page } = ada;
    await page.goto(`${web}/echo`);
    expect(await page.getByTestId('echo-url').inputValue()).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/echo$/);
    await page.getByTestId('echo-connect').click();
    await expect.poll(() => page.getByTestId('echo-status').textContent()).toBe('open');

    await page.getByTestId('echo-payload').fill('héllo echo');
    await page.getByTestId('echo-send').click();
    const received = page.getByTestId('echo-entry-received');
    await expect.poll(() => received.count()).toBe(1);
    expect(await received.first().textContent()).toContain('héllo echo');
    expect(await received.first().textContent()).toContain('11 B');
    expect(await received.first().getByTestId('echo-rtt').textContent()).toMatch(/^\d+\.\d ms$/);

    await page.getByTestId('echo-mode').selectOption('binary');
    await page.getByTestId('echo-payload').fill('00 ff 10');
    await page.getByTestId('echo-send').click();
    await expect.poll(() => received.count()).toBe(2);
    expect(await received.nth(1).textContent()).toContain('binary: 00 ff 10');

    await page.getByTestId('echo-payload').fill('0g');
    await page.getByTestId('echo-send').click();
    await page.getByTestId('echo-problem').waitFor();

    await page.getByTestId('echo-disconnect').click();
    const closed = page.getByTestId('echo-entry-closed');
    await closed.waitFor();
    expect(await closed.textContent()).toContain('code 1000');
    expect(ada.errors).toEqual([]);
  });
});
