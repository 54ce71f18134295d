import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMap, mapLink } from './support/api.ts';
import {
  launchBrowser,
  mapCenterPoint,
  mapOf,
  newPerson,
  openMap,
  type Person,
  saveMapScreenshot,
} from './support/browser.ts';
import { vincentyMeters } from './support/geodesy.ts';

/** Long enough for an op to reach the other person, had one been sent. */
const SETTLE_MS = 1500;
const LYON: [number, number] = [4.8357, 45.764];
const PARIS: [number, number] = [2.3522, 48.8566];
const MARSEILLE: [number, number] = [5.3698, 43.2965];

const within = (measured: number, expected: number) => Math.abs(measured - expected) / expected;

describe('measuring: lengths and areas in the details panel, a measure line only its author sees', () => {
  const [web = ''] = inject('webUrls');
  const [realtime = ''] = inject('realtimeUrls');
  const artifactsDir = inject('artifactsDir');
  let browser: Browser;
  let ada: Person;
  let bo: Person;

  beforeAll(async () => {
    const map = await createMap(realtime, 'Measured');
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
    bo = await newPerson(browser, 'Bo');
    const link = `${mapLink(web, map.id, map.editKey)}&debug#5/46/4`;
    await openMap(ada, link);
    await openMap(bo, link);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows a line length within 0.5 % of the WGS84 geodesic, and an area within 0.5 % of the exact value', async () => {
    await ada.page.getByTestId('import-file').setInputFiles({
      name: 'measured.geojson',
      mimeType: 'application/geo+json',
      buffer: Buffer.from(
        JSON.stringify({
          type: 'FeatureCollection',
          features: [
            {
              type: 'Feature',
              properties: { name: 'Lyon to Paris to Marseille' },
              geometry: { type: 'LineString', coordinates: [PARIS, LYON, MARSEILLE] },
            },
            {
              type: 'Feature',
              properties: { name: 'One square degree' },
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
            },
          ],
        }),
      ),
    });
    const item = (title: string) => ada.page.locator(`[data-testid^=feature-item-][data-title="${title}"]`);
    await item('Lyon to Paris to Marseille').click();
    const length = Number(await ada.page.getByTestId('feature-length').getAttribute('data-meters'));
    const geodesic = vincentyMeters(PARIS, LYON) + vincentyMeters(LYON, MARSEILLE);
    // Known reference: Paris–Lyon is about 392 km, Lyon–Marseille about 278 km.
    expect(geodesic / 1000).toBeGreaterThan(660);
    expect(geodesic / 1000).toBeLessThan(680);
    expect(within(length, geodesic)).toBeLessThan(0.005);
    expect(await ada.page.getByTestId('feature-length').textContent()).toMatch(/Length \d{3} km/);

    await item('One square degree').click();
    const area = Number(await ada.page.getByTestId('feature-area').getAttribute('data-square-meters'));
    // The exact area of a latitude/longitude rectangle on the authalic sphere (R = 6,371,007 m):
    // R² · Δλ · (sin φ2 − sin φ1).
    const R = 6_371_007.2;
    const exact = R * R * (Math.PI / 180) * (Math.sin((46 * Math.PI) / 180) - Math.sin((45 * Math.PI) / 180));
    expect(within(area, exact)).toBeLessThan(0.005);
    expect(await ada.page.getByTestId('feature-area').textContent()).toMatch(/Area [\d,.]+ km²/);
  });

  it('the measure tool measures a path on the map that nobody else sees', async () => {
    await ada.page.keyboard.press('Escape');
    const bobCount = await mapOf(bo.page).getAttribute('data-feature-count');
    const adaCount = await mapOf(ada.page).getAttribute('data-feature-count');
    await ada.page.getByTestId('tool-measure').click();
    const centre = await mapCenterPoint(ada.page);
    const a = { x: centre.x - 150, y: centre.y + 80 };
    const b = { x: centre.x + 120, y: centre.y - 90 };
    await ada.page.mouse.click(a.x, a.y);
    await ada.page.mouse.click(b.x, b.y);
    const readout = ada.page.getByTestId('measure-readout');
    await readout.waitFor();
    await ada.page.mouse.move(b.x, b.y);
    const measured = Number(await readout.getAttribute('data-meters'));
    const box = await mapOf(ada.page).boundingBox();
    if (!box) throw new Error('no map box');
    const [from, to] = await ada.page.evaluate(
      (points) =>
        points.map((p) => {
          const lngLat = window.meridianMap?.unproject([p.x, p.y]);
          if (!lngLat) throw new Error('no map');
          return [lngLat.lng, lngLat.lat] as [number, number];
        }),
      [a, b].map((p) => ({ x: p.x - box.x, y: p.y - box.y })),
    );
    if (!from || !to) throw new Error('no points');
    expect(within(measured, vincentyMeters(from, to))).toBeLessThan(0.005);
    await saveMapScreenshot(ada.page, artifactsDir, 'measure-tool');

    await ada.page.waitForTimeout(SETTLE_MS);
    // Nothing was created, queued or sent: both maps hold what they held.
    expect(await mapOf(ada.page).getAttribute('data-feature-count')).toBe(adaCount);
    expect(await mapOf(bo.page).getAttribute('data-feature-count')).toBe(bobCount);
    expect(await ada.page.getByTestId('connection-status').getAttribute('data-pending')).toBe('0');
    const drawnForBo = await bo.page.evaluate(
      () => window.meridianMap?.querySourceFeatures('meridian-draft').length ?? -1,
    );
    expect(drawnForBo).toBe(0);
    const drawnForAda = await ada.page.evaluate(
      () => window.meridianMap?.querySourceFeatures('meridian-draft').length ?? -1,
    );
    expect(drawnForAda).toBeGreaterThan(0);

    await ada.page.keyboard.press('Escape');
    await expect.poll(() => ada.page.getByTestId('measure-readout').count()).toBe(0);
  });
});
