import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startWebSubHub, type WebSubHub } from '../../realtime/test/fixtures/websub-hub.ts';
import { createMap, mapLink } from './support/api.ts';
import {
  countColors,
  featureItems,
  launchBrowser,
  mapCenter,
  mapCenterPoint,
  mapOf,
  newPerson,
  openMap,
  type Person,
  saveMapScreenshot,
  waitForMapIdle,
} from './support/browser.ts';

interface Entry {
  id: string;
  title: string;
  lat: number;
  lng: number;
}

/** An Atom feed with GeoRSS points, as a publisher would serve it. */
function atom(entries: Entry[]): string {
  const items = entries
    .map(
      (e) => `  <entry>
    <id>urn:quake:${e.id}</id>
    <title>${e.title}</title>
    <updated>2026-11-26T10:00:00Z</updated>
    <link rel="alternate" href="https://quakes.example/events/${e.id}"/>
    <summary>Felt near ${e.title}</summary>
    <georss:point>${e.lat} ${e.lng}</georss:point>
  </entry>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:georss="http://www.georss.org/georss">
  <title>Earthquakes</title>
  <id>urn:feed:quakes</id>
  <updated>2026-11-26T10:00:00Z</updated>
${items}
</feed>`;
}

const LYON: Entry = { id: '1', title: 'M 4.2 Lyon', lat: 45.76, lng: 4.84 };
const CAIRO: Entry = { id: '2', title: 'M 3.9 Cairo', lat: 30.04, lng: 31.24 };
const FORGED: Entry = { id: '3', title: 'M 9.9 Forged', lat: 48.85, lng: 2.35 };

/**
 * A live feed layer end to end: the realtime nodes of the e2e cluster run with
 * MERIDIAN_PUBLIC_URL (their own address) and FEED_FETCH_ALLOW=127.0.0.1/32, and a WebSub hub
 * written to the W3C spec (the realtime package's test fixture) runs on loopback.
 */
describe('live feed layers over WebSub', () => {
  const [web = '', otherWeb = ''] = inject('webUrls');
  const [realtime = ''] = inject('realtimeUrls');
  const artifactsDir = inject('artifactsDir');
  let browser: Browser;
  let hub: WebSubHub;
  let ada: Person;
  let bo: Person;
  let topicUrl = '';
  let layerId = '';
  let map: Awaited<ReturnType<typeof createMap>>;

  const layerRow = (person: Person) => person.page.locator(`li[data-layer-id="${layerId}"]`);
  const feedItems = (person: Person) =>
    person.page.locator(`[data-testid^=feature-item-][data-layer="${layerId}"]`);

  beforeAll(async () => {
    hub = await startWebSubHub();
    topicUrl = hub.setTopic('quakes', atom([LYON]));
    map = await createMap(realtime, 'Quakes watch');
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
    bo = await newPerson(browser, 'Bo');
    await openMap(ada, mapLink(web, map.id, map.editKey));
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('the form explains what is wrong with a feed address', async () => {
    const { page } = ada;
    await page.getByTestId('add-layer-open').click();
    await page.getByTestId('layer-url').fill('quakes.example/feed');
    await page.getByTestId('layer-add').click();
    expect(await page.getByTestId('layer-error').textContent()).toMatch(/full http:\/\/ or https:\/\/ URL/);
    expect(await page.getByTestId('layer-url').getAttribute('aria-invalid')).toBe('true');
    await page.getByTestId('layer-url').fill('javascript:alert(1)');
    await page.getByTestId('layer-add').click();
    expect(await page.getByTestId('layer-error').textContent()).toMatch(/http:\/\/ or https:\/\//);
    expect(await page.locator('li[data-layer-id]').count()).toBe(0);
  });

  it('an editor adds the feed; the node subscribes at the hub and the layer goes live', async () => {
    const { page } = ada;
    await page.getByTestId('layer-url').fill(topicUrl);
    await page.getByTestId('layer-name-input').fill('Quakes');
    await page.getByTestId('layer-add').click();
    await page.locator('li[data-layer-id]').waitFor();
    layerId = (await page.locator('li[data-layer-id]').getAttribute('data-layer-id')) ?? '';
    expect(layerId).not.toBe('');
    expect(await page.getByTestId('layer-error').count()).toBe(0);

    // Subscribed and verified (§5.1, §5.3) with the node's public URL as the callback.
    await expect.poll(() => hub.subscriptions(topicUrl).length, { timeout: 30_000 }).toBe(1);
    const [subscription] = hub.subscriptions(topicUrl);
    expect(subscription?.callback.startsWith(`${realtime}/websub/`)).toBe(true);
    expect(subscription?.secret).toBeTruthy();

    const row = layerRow(ada);
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('live');
    expect(await row.getAttribute('data-mode')).toBe('websub');
    expect(await row.getByTestId('layer-status').textContent()).toMatch(/^live \(WebSub via 127\.0\.0\.1/);
    expect(await row.getByTestId('layer-name').textContent()).toBe('Quakes');
  });

  it('a signed push from the hub shows up as a feature of the layer, for everyone on the map', async () => {
    await openMap(bo, mapLink(otherWeb, map.id, map.viewKey));
    const before = await feedItems(ada).count();

    hub.setTopic('quakes', atom([LYON, CAIRO]));
    const deliveries = await hub.publish(topicUrl);
    expect(deliveries.map((d) => d.status >= 200 && d.status < 300)).toEqual([true]);
    expect(hub.events.some((e) => e.kind === 'delivered' && e.signed)).toBe(true);

    const cairo = (person: Person) => feedItems(person).filter({ hasText: CAIRO.title });
    await expect.poll(() => cairo(ada).count(), { timeout: 15_000 }).toBe(1);
    // Bo is on the other node, with a view link.
    await expect.poll(() => cairo(bo).count(), { timeout: 15_000 }).toBe(1);
    expect(await feedItems(ada).count()).toBeGreaterThan(before);
    expect(await feedItems(ada).count()).toBe(2);
    await expect
      .poll(() => mapOf(ada.page).getAttribute('data-feed-feature-count'), { timeout: 10_000 })
      .toBe('2');
    // The status counts the layer's entries on the map, on either node.
    await expect.poll(() => layerRow(ada).getAttribute('data-entries'), { timeout: 10_000 }).toBe('2');
    await expect.poll(() => layerRow(bo).getAttribute('data-entries'), { timeout: 10_000 }).toBe('2');
    expect(await layerRow(ada).getByTestId('layer-notes').textContent()).toBe('2 entries');

    // Drawn in the layer's colour (from pixels, not from the DOM).
    const colors = JSON.parse((await mapOf(ada.page).getAttribute('data-layer-colors')) ?? '{}') as Record<
      string,
      string
    >;
    const layerColor = colors[layerId] ?? '';
    expect(layerColor).toMatch(/^#[0-9a-f]{6}$/);
    await ada.page.waitForTimeout(500);
    const png = await saveMapScreenshot(ada.page, artifactsDir, 'live-feed-layer');
    const counts = await countColors(ada.page, png, { layer: layerColor });
    expect(counts.layer).toBeGreaterThan(10);
  });

  it('a push with a bad signature is ignored, and counted in the layer status', async () => {
    const deliveries = await hub.publish(topicUrl, { badSignature: true, body: atom([LYON, CAIRO, FORGED]) });
    // Still 2xx (§8: the hub must not retry), but nothing of it is taken.
    expect(deliveries.map((d) => d.status >= 200 && d.status < 300)).toEqual([true]);
    const row = layerRow(ada);
    await expect.poll(() => row.getAttribute('data-bad-signatures'), { timeout: 15_000 }).toBe('1');
    expect(await row.textContent()).toContain('1 delivery with a bad signature ignored');
    expect(await row.getAttribute('data-state')).toBe('live');
    expect(await feedItems(ada).filter({ hasText: FORGED.title }).count()).toBe(0);
    expect(await row.getAttribute('data-entries')).toBe('2');
    expect(await feedItems(ada).count()).toBe(2);
  });

  it('a feed entry is read-only: title, description and link, no editing, moving or deleting', async () => {
    const { page } = ada;
    const item = feedItems(ada).filter({ hasText: CAIRO.title });
    await item.click();
    const inspector = page.getByTestId('feature-details');
    await inspector.waitFor();
    expect(await inspector.getAttribute('data-readonly')).toBe('true');
    expect(await page.getByTestId('feature-title-text').textContent()).toBe(CAIRO.title);
    expect(await page.getByTestId('feature-link').getAttribute('href')).toBe(
      'https://quakes.example/events/2',
    );
    expect(await page.getByTestId('feature-layer').textContent()).toContain('Quakes');
    expect(await page.getByTestId('feature-title').count()).toBe(0);
    expect(await page.getByTestId('feature-delete').count()).toBe(0);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('Delete');

    // On the map: the list centred the map on the entry. A click there selects it; a drag
    // from there pans the map and leaves the entry where the feed put it.
    await waitForMapIdle(page);
    await page.getByTestId('feature-details-close').click();
    await inspector.waitFor({ state: 'detached' });
    const centre = await mapCenterPoint(page);
    await page.mouse.click(centre.x, centre.y);
    await inspector.waitFor();
    expect(await inspector.getAttribute('data-feature-id')).toBe(await item.getAttribute('data-feature-id'));
    const position = await item.getAttribute('data-position');
    const mapCentreBefore = await mapCenter(page);
    await page.mouse.move(centre.x, centre.y);
    await page.mouse.down();
    await page.mouse.move(centre.x + 120, centre.y + 60, { steps: 6 });
    await page.mouse.up();
    await waitForMapIdle(page);
    expect(await mapCenter(page)).not.toEqual(mapCentreBefore);
    await page.waitForTimeout(1000);
    expect(await item.getAttribute('data-position')).toBe(position);
    expect(await feedItems(ada).count()).toBe(2);
  });

  it('undo takes back my marker, never the feed entries', async () => {
    const { page } = ada;
    await page.getByTestId('feature-details-close').click();
    await page.keyboard.press('m');
    await page.keyboard.press('Enter');
    await expect.poll(() => featureItems(page).count()).toBe(3);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+z');
    await expect.poll(() => featureItems(page).count()).toBe(2);
    expect(await feedItems(ada).count()).toBe(2);
    expect(await layerRow(ada).count()).toBe(1);
  });

  it('a viewer sees the layers and their status, with no controls', async () => {
    await expect.poll(() => layerRow(bo).getAttribute('data-state'), { timeout: 15_000 }).toBe('live');
    expect(await bo.page.getByTestId('layer-remove').count()).toBe(0);
    expect(await bo.page.getByTestId('add-layer-open').count()).toBe(0);
  });

  it('removing the layer removes its entries for everyone', async () => {
    await layerRow(ada).getByTestId('layer-remove').click();
    await expect.poll(() => layerRow(ada).count()).toBe(0);
    await expect.poll(() => feedItems(ada).count()).toBe(0);
    await expect.poll(() => feedItems(bo).count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => layerRow(bo).count()).toBe(0);
  });

  it('a feed without a hub is polled, and a refused address is an error in words', async () => {
    const { page } = ada;
    const add = async (url: string, name: string) => {
      await page.getByTestId('add-layer-open').click();
      await page.getByTestId('layer-url').fill(url);
      await page.getByTestId('layer-name-input').fill(name);
      await page.getByTestId('layer-add').click();
      const row = page.locator('li[data-layer-id]').filter({ hasText: name });
      await row.waitFor();
      return row;
    };
    const quiet = await add(hub.setTopic('quiet', atom([CAIRO]), { advertiseHub: false }), 'No hub');
    await expect.poll(() => quiet.getAttribute('data-state'), { timeout: 30_000 }).toBe('polling');
    expect(await quiet.getAttribute('data-mode')).toBe('poll');
    expect(await quiet.getByTestId('layer-status').textContent()).toMatch(/^polling every \d+ s/);

    // Only 127.0.0.1/32 is allowed in this cluster: a private address is refused, never fetched.
    const refused = await add('http://10.0.0.5/feed.atom', 'Intranet');
    await expect.poll(() => refused.getAttribute('data-state'), { timeout: 30_000 }).toBe('error');
    expect(await refused.getByTestId('layer-status').textContent()).toMatch(/^error: .*10\.0\.0\.5/);

    for (const row of [quiet, refused]) await row.getByTestId('layer-remove').click();
    await expect.poll(() => page.locator('li[data-layer-id]').count()).toBe(0);
    expect([...ada.errors, ...bo.errors]).toEqual([]);
  });
});
