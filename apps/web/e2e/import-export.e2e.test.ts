import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMap, mapLink } from './support/api.ts';
import { featureItems, launchBrowser, newPerson, openMap, type Person } from './support/browser.ts';

// Import by dropping a file on the map and by pasting text, the summary with what was skipped, a
// second person seeing the features, and the GeoJSON export winding polygons counter-clockwise.

const PHONE = { width: 390, height: 844 };

// Three placemarks; the lake's ring is written clockwise (as much KML is); one latitude is bad.
const KML = `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
  <Placemark><name>Summit</name><Point><coordinates>6.8652,45.8326,4808</coordinates></Point></Placemark>
  <Placemark><name>Ridge</name><LineString><coordinates>6.86,45.83 6.90,45.86</coordinates></LineString></Placemark>
  <Placemark><name>Lake</name><Polygon><outerBoundaryIs><LinearRing>
    <coordinates>6.0,46.0 6.0,46.1 6.1,46.1 6.1,46.0 6.0,46.0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
  <Placemark><name>Nowhere</name><Point><coordinates>6.0,123.0</coordinates></Point></Placemark>
</Document></kml>`;

// Neither column is named lat/lon: the person chooses.
const CSV = 'place;north;east;visitors\nAnnecy;45.899;6.129;1200\nChamonix;45.924;6.869;5000\n';

/** Drop a file on the map as a person's drag would: a real DragEvent carrying a DataTransfer. */
async function dropFile(page: Page, name: string, type: string, text: string): Promise<void> {
  await page.evaluate(
    ([fileName, fileType, content]) => {
      const target = document.querySelector('[data-testid=map]');
      if (!target) throw new Error('no map');
      const data = new DataTransfer();
      data.items.add(new File([content], fileName, { type: fileType }));
      const box = target.getBoundingClientRect();
      const at = { clientX: box.x + box.width / 2, clientY: box.y + box.height / 2 };
      for (const kind of ['dragenter', 'dragover', 'drop'])
        target.dispatchEvent(
          new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: data, ...at }),
        );
    },
    [name, type, text] as const,
  );
}

/** Paste text into the page (not into a field), as Ctrl+V would. */
async function pasteText(page: Page, text: string): Promise<void> {
  await page.evaluate((content) => {
    const data = new DataTransfer();
    data.setData('text/plain', content);
    (document.activeElement as HTMLElement | null)?.blur();
    document.body.dispatchEvent(
      new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: data }),
    );
  }, text);
}

/** Shoelace sum: positive for counter-clockwise rings. */
const signedArea = (ring: number[][]) =>
  ring.reduce((sum, p, i) => {
    const q = ring[(i + 1) % ring.length] as number[];
    return sum + (p[0] as number) * (q[1] as number) - (q[0] as number) * (p[1] as number);
  }, 0);

describe('import and export of files', () => {
  const [web = ''] = inject('webUrls');
  const [realtime = ''] = inject('realtimeUrls');
  const artifactsDir = inject('artifactsDir');
  let browser: Browser;
  let ada: Person;
  let bo: Person;
  let link = '';

  beforeAll(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    const map = await createMap(realtime, 'Formats');
    link = `${mapLink(web, map.id, map.editKey)}#8/45.9/6.5`;
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
    bo = await newPerson(browser, 'Bo', PHONE, { isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
    await openMap(ada, link);
    await openMap(bo, link);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('a KML file dropped on the map imports for both; the bad placemark is named in the summary', async () => {
    await dropFile(ada.page, 'alps.kml', 'application/vnd.google-earth.kml+xml', KML);
    const summary = ada.page.getByTestId('import-summary');
    await summary.waitFor();
    expect(await summary.getAttribute('data-imported')).toBe('3');
    expect(await summary.getAttribute('data-skipped')).toBe('1');
    expect(await summary.getByRole('status').textContent()).toBe(
      'Imported 3 features; 1 skipped from alps.kml (KML)',
    );
    await summary.getByText('Details: what was skipped and why').click();
    expect(await ada.page.getByTestId('import-skipped').textContent()).toBe(
      'placemark 4 "Nowhere" has latitude 123, out of range',
    );
    await ada.page.screenshot({ path: path.join(artifactsDir, 'import-summary-desktop.png') });
    await ada.page.screenshot({ path: '/tmp/fmt-import-summary-desktop.png' });

    const titled = (page: Page, title: string) =>
      page.locator(`[data-testid^=feature-item-][data-title="${title}"]`);
    // Bo's list is virtualised: its rows exist only while his bottom sheet shows it.
    await bo.page.getByTestId('sheet-toggle').tap();
    for (const title of ['Summit', 'Ridge', 'Lake'])
      await expect.poll(() => titled(bo.page, title).count()).toBe(1);
    await bo.page.getByTestId('sheet-toggle').tap();
    await ada.page.getByTestId('import-close').click();
    expect(await ada.page.getByTestId('import-panel').count()).toBe(0);
  });

  it('CSV pasted on the phone asks for the coordinate columns, then imports', async () => {
    await pasteText(bo.page, CSV);
    const columns = bo.page.getByTestId('import-columns');
    await columns.waitFor();
    await bo.page.screenshot({ path: path.join(artifactsDir, 'import-columns-phone.png') });
    await bo.page.screenshot({ path: '/tmp/fmt-import-columns-phone.png' });
    // Guessed from the first row (the first two numeric columns); chosen again as a person would.
    expect(await bo.page.getByTestId('import-latitude').inputValue()).toBe('1');
    await bo.page.getByTestId('import-latitude').selectOption({ label: 'north (45.899)' });
    await bo.page.getByTestId('import-longitude').selectOption({ label: 'east (6.129)' });
    await bo.page.getByTestId('import-columns-ok').click();
    // Nothing skipped: the summary is a passing message, and the panel is out of the way.
    await bo.page.getByTestId('toast').getByText('Imported 2 features from pasted text (CSV).').waitFor();
    expect(await bo.page.getByTestId('import-panel').count()).toBe(0);
    await bo.page.screenshot({ path: path.join(artifactsDir, 'import-summary-phone.png') });
    await bo.page.screenshot({ path: '/tmp/fmt-import-summary-phone.png' });
    await expect.poll(() => featureItems(ada.page).count()).toBe(5);
  });

  it('exports GeoJSON whose polygons wind counter-clockwise, every property and altitude kept', async () => {
    const [download] = await Promise.all([
      ada.page.waitForEvent('download'),
      ada.page.getByTestId('export').click(),
    ]);
    expect(download.suggestedFilename()).toBe('Formats.geojson');
    const chunks: Buffer[] = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
    const exported = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      features: { geometry: { type: string; coordinates: unknown }; properties: Record<string, unknown> }[];
    };
    const byTitle = new Map(exported.features.map((f) => [f.properties.title ?? f.properties.place, f]));
    const lake = byTitle.get('Lake');
    if (!lake) throw new Error('no Lake in the export');
    expect(lake.geometry.type).toBe('Polygon');
    expect(signedArea((lake.geometry.coordinates as number[][][])[0] as number[][])).toBeGreaterThan(0);
    expect(byTitle.get('Summit')?.geometry.coordinates).toEqual([6.8652, 45.8326, 4808]);
    expect(byTitle.get('Chamonix')?.properties).toEqual({ place: 'Chamonix', visitors: 5000 });

    // KML too, for Google Earth and friends.
    const [kml] = await Promise.all([
      ada.page.waitForEvent('download'),
      ada.page.getByTestId('export-kml').click(),
    ]);
    expect(kml.suggestedFilename()).toBe('Formats.kml');
    expect(ada.errors).toEqual([]);
    expect(bo.errors).toEqual([]);
  });
});
