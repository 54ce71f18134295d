import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BASEMAP_COLORS } from '../src/basemap/style.ts';
import { createMap, mapLink } from './support/api.ts';
import {
  countColors,
  eventually,
  launchBrowser,
  mapOf,
  newPerson,
  openMap,
  type Person,
  saveMapScreenshot,
  waitForMapIdle,
} from './support/browser.ts';

const PHONE = { width: 390, height: 844 };
const CENTER: [number, number] = [4.8357, 45.764];
const MARKER: [number, number] = [4.8357, 45.7655];
const LINE: [number, number][] = [
  [4.829, 45.7615],
  [4.842, 45.7615],
];
const AREA: [number, number][] = [
  [4.83, 45.7665],
  [4.834, 45.7665],
  [4.834, 45.7685],
  [4.83, 45.7685],
  [4.83, 45.7665],
];
const MARKER_COLOR = '#7c3aed';
/** `color` drawn at `opacity` over `under`, as #rrggbb. */
function blend(color: string, under: string, opacity: number): string {
  const rgb = (hex: string) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  const [top, bottom] = [rgb(color), rgb(under)];
  return `#${top
    .map((c, i) =>
      Math.round(c * opacity + (bottom[i] ?? 0) * (1 - opacity))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/** Text a careless popup would run as markup. */
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

const fixture = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      properties: {
        title: 'Café Ada',
        description: `Coffee at 9. Menu: https://example.org/menu ${HOSTILE}`,
        opening: '8-18',
        seats: 24,
        evil: 'javascript:alert(1)',
      },
      geometry: { type: 'Point', coordinates: MARKER },
    },
    {
      type: 'Feature',
      properties: { title: 'Tram route' },
      geometry: { type: 'LineString', coordinates: LINE },
    },
    { type: 'Feature', properties: { title: 'Park' }, geometry: { type: 'Polygon', coordinates: [AREA] } },
  ],
};

interface Drawn {
  fid: string;
  properties: Record<string, unknown>;
  paint: Record<string, unknown>;
  layout: Record<string, unknown>;
}

/** What one map layer draws for one feature: its properties and the paint/layout MapLibre evaluated for it. */
async function drawn(page: Page, layer: string, title: string): Promise<Drawn | undefined> {
  return page.evaluate(
    ({ layer, title }) => {
      const map = window.meridianMap;
      if (!map?.getLayer(layer)) return undefined;
      const feature = map
        .queryRenderedFeatures({ layers: [layer] })
        .find((f) => f.properties.title === title);
      if (!feature) return undefined;
      const plain = (value: unknown): unknown => {
        if (value && typeof value === 'object' && 'r' in value && 'g' in value && 'b' in value) {
          const c = value as { r: number; g: number; b: number; a: number };
          const hex = (n: number) =>
            Math.round((n / (c.a || 1)) * 255)
              .toString(16)
              .padStart(2, '0');
          return `#${hex(c.r)}${hex(c.g)}${hex(c.b)}`;
        }
        // A resolved image (icon-image) is an object that carries the image's name.
        if (value && typeof value === 'object' && 'name' in value) return (value as { name: unknown }).name;
        if (value && typeof value === 'object' && 'from' in value && 'to' in value)
          return (value as { to: unknown }).to;
        return value;
      };
      const evaluate = (values: Record<string, unknown> | undefined) =>
        Object.fromEntries(Object.entries(values ?? {}).map(([k, v]) => [k, plain(v)]));
      const layerOf = feature.layer as unknown as {
        paint?: Record<string, unknown>;
        layout?: Record<string, unknown>;
      };
      return {
        fid: String(feature.properties.fid),
        properties: feature.properties,
        paint: evaluate(layerOf.paint),
        layout: evaluate(layerOf.layout),
      };
    },
    { layer, title },
  );
}

async function selectFromList(page: Page, title: string) {
  await page.locator(`[data-testid^=feature-item-][data-title="${title}"]`).click();
  await page.locator('[data-testid=feature-details]').waitFor();
}

/** Where a position is on screen, in page coordinates. */
async function screenPoint(page: Page, position: [number, number]) {
  const box = await mapOf(page).boundingBox();
  const point = await page.evaluate((p) => window.meridianMap?.project(p), position);
  if (!box || !point) throw new Error('no map');
  return { x: box.x + point.x, y: box.y + point.y };
}

/** Drag a range input's thumb from one end toward the other: many input events, one gesture. */
async function dragSlider(page: Page, testId: string, fraction: number) {
  const slider = page.getByTestId(testId);
  await slider.scrollIntoViewIfNeeded();
  const box = await slider.boundingBox();
  if (!box) throw new Error(`no ${testId}`);
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + 2, y);
  await page.mouse.down();
  for (let step = 1; step <= 8; step++) await page.mouse.move(box.x + (box.width * fraction * step) / 8, y);
  await page.mouse.up();
}

describe('styling: icons, colours, strokes, fills and labels, live for everyone and undoable; popups', () => {
  const [web = ''] = inject('webUrls');
  const [realtime = ''] = inject('realtimeUrls');
  const artifactsDir = inject('artifactsDir');
  let browser: Browser;
  let ada: Person;
  let bo: Person;
  let mapId = '';
  let editKey = '';

  beforeAll(async () => {
    const map = await createMap(realtime, 'Styled');
    mapId = map.id;
    editKey = map.editKey;
    browser = await launchBrowser();
    ada = await newPerson(browser, 'Ada');
    bo = await newPerson(browser, 'Bo');
    await openMap(ada, `${mapLink(web, map.id, map.editKey)}&debug#15/${CENTER[1]}/${CENTER[0]}`);
    // Bo only views: his clicks open popups.
    await openMap(bo, `${mapLink(web, map.id, map.viewKey)}&debug#15/${CENTER[1]}/${CENTER[0]}`);
    await ada.page.getByTestId('import-file').setInputFiles({
      name: 'styled.geojson',
      mimeType: 'application/geo+json',
      buffer: Buffer.from(JSON.stringify(fixture)),
    });
    await bo.page.locator('[data-testid=map][data-feature-count="3"]').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('A styles a marker, a line and an area; B sees every style drawn', async () => {
    const page = ada.page;
    await selectFromList(page, 'Café Ada');
    await page.getByTestId('style-symbol').click();
    await page.getByTestId('style-symbol-search').fill('coffee');
    // "None" and the one icon whose words say coffee.
    expect(await page.locator('.symbol-option').count()).toBe(2);
    await page.getByTestId('style-symbol-cafe').click();
    await page.getByTestId('style-size-large').click();
    await page.getByTestId('style-marker-color').fill(MARKER_COLOR);
    await page.getByTestId('style-label').uncheck();

    await selectFromList(page, 'Tram route');
    await page.getByTestId('style-dash-dash').click();
    await page.getByTestId('style-stroke').fill('#dc2626');
    await page.getByTestId('style-stroke-opacity').fill('0.8');
    await dragSlider(page, 'style-stroke-width', 0.6);
    const width = Number(await page.getByTestId('style-stroke-width').inputValue());
    expect(width).toBeGreaterThan(4);

    await selectFromList(page, 'Park');
    await page.getByTestId('style-fill-opacity').fill('0.65');
    await page.getByTestId('style-fill').fill('#16a34a');

    // Bo sees each style drawn, from the properties the ops carried.
    const marker = await eventually('the marker drawn with its icon', async () => {
      const icon = await drawn(bo.page, 'meridian-point-icons', 'Café Ada');
      return icon?.layout['icon-image'] ? icon : undefined;
    });
    expect(marker.properties).toMatchObject({
      'marker-symbol': 'cafe',
      'marker-size': 'large',
      'marker-color': MARKER_COLOR,
      'show-label': false,
    });
    expect(String(marker.layout['icon-image'])).toMatch(/^maki-cafe/);
    expect(await bo.page.evaluate(() => window.meridianMap?.hasImage('maki-cafe'))).toBe(true);
    const disc = await drawn(bo.page, 'meridian-points', 'Café Ada');
    expect(disc?.paint['circle-color']).toBe(MARKER_COLOR);
    // Hidden label: nothing drawn in the label layer for the marker; the others keep theirs.
    expect(await drawn(bo.page, 'meridian-point-labels', 'Café Ada')).toBeUndefined();
    await eventually('the area label', () => drawn(bo.page, 'meridian-shape-labels', 'Park'));

    const line = await eventually('the line drawn dashed, red, wide', async () => {
      const l = await drawn(bo.page, 'meridian-lines', 'Tram route');
      return l?.properties['stroke-width'] === width && l.properties.stroke === '#dc2626' ? l : undefined;
    });
    expect(line.paint['line-color']).toBe('#dc2626');
    expect(line.paint['line-width']).toBe(width);
    expect(line.paint['line-opacity']).toBe(0.8);
    expect(line.paint['line-dasharray']).toEqual([2.5, 1.8]);
    const area = await eventually('the area filled', async () => {
      const a = await drawn(bo.page, 'meridian-fills', 'Park');
      return a?.properties.fill === '#16a34a' ? a : undefined;
    });
    expect(area.paint['fill-opacity']).toBe(0.65);
    expect(area.paint['fill-color']).toBe('#16a34a');

    // And in pixels: the marker's colour is on Bo's screen, and the line's at 80 % over the land.
    await waitForMapIdle(bo.page);
    const png = await saveMapScreenshot(bo.page, artifactsDir, 'style-bo-sees');
    const line80 = blend('#dc2626', BASEMAP_COLORS.land, 0.8);
    const pixels = await countColors(bo.page, png, { marker: MARKER_COLOR, line: line80 }, 16);
    expect(pixels.marker).toBeGreaterThan(100);
    expect(pixels.line).toBeGreaterThan(100);
    await saveMapScreenshot(page, artifactsDir, 'style-ada-styles');
  });

  it('one undo step reverts each change for both, a whole slider drag included', async () => {
    const page = ada.page;

    // One undo reverts the whole fill colour change, the next one the fill opacity, for both.
    await page.getByTestId('undo').click();
    await page.getByTestId('undo').click();
    // The drag of the width slider was many ops, one undo step: three undos from here reach it.
    await page.getByTestId('undo').click();
    await eventually('the line back to its width before the drag, for Bo', async () => {
      const l = await drawn(bo.page, 'meridian-lines', 'Tram route');
      return l && l.properties['stroke-width'] === undefined && l.properties['stroke-opacity'] === 0.8
        ? l
        : undefined;
    });
    const afterUndo = await drawn(bo.page, 'meridian-lines', 'Tram route');
    expect(afterUndo?.paint['line-width']).toBe(4);
    const areaAfter = await drawn(bo.page, 'meridian-fills', 'Park');
    expect(areaAfter?.properties.fill).toBeUndefined();
    expect(areaAfter?.properties['fill-opacity']).toBeUndefined();
    const adaLine = await drawn(page, 'meridian-lines', 'Tram route');
    expect(adaLine?.properties['stroke-width']).toBeUndefined();
  });

  it('B (a viewer) clicks the marker: a popup with title, description (text, safe links) and properties', async () => {
    const page = bo.page;
    const at = await screenPoint(page, MARKER);
    await page.mouse.click(at.x, at.y);
    const popup = page.getByTestId('feature-popup');
    await popup.waitFor();
    expect(await popup.locator('h3').textContent()).toBe('Café Ada');
    const description = popup.locator('.feature-popup-description');
    expect(await description.textContent()).toContain(HOSTILE);
    expect(await description.locator('img').count()).toBe(0);
    const link = description.locator('a');
    expect(await link.getAttribute('href')).toBe('https://example.org/menu');
    expect(await link.getAttribute('rel')).toContain('noopener');
    const rows = await popup
      .locator('tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [tr.querySelector('th')?.textContent, tr.querySelector('td')?.textContent]),
      );
    expect(rows).toEqual([
      ['opening', '8-18'],
      ['seats', '24'],
      ['evil', 'javascript:alert(1)'],
    ]);
    expect(await popup.locator('td a').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    await saveMapScreenshot(page, artifactsDir, 'style-bo-popup');
    expect(bo.errors).toEqual([]);
  });

  it('styles a selection (shift-click in the list) with one op per feature and one undo step; a shift-drag box selects', async () => {
    const page = ada.page;
    await page.locator('[data-testid^=feature-item-][data-title="Tram route"]').click();
    await page.locator('[data-testid^=feature-item-][data-title="Park"]').click({ modifiers: ['Shift'] });
    const details = page.getByTestId('selection-details');
    await details.waitFor();
    expect(await details.getAttribute('data-count')).toBe('2');
    await details.getByTestId('style-dash-dot').click();
    await eventually('both dotted for Bo', async () => {
      const [l, a] = [
        await drawn(bo.page, 'meridian-lines', 'Tram route'),
        await drawn(bo.page, 'meridian-outlines', 'Park'),
      ];
      return l?.properties['stroke-dash'] === 'dot' && a?.properties['stroke-dash'] === 'dot'
        ? true
        : undefined;
    });
    await page.getByTestId('undo').click();
    await eventually('both back to their dash for Bo', async () => {
      const [l, a] = [
        await drawn(bo.page, 'meridian-lines', 'Tram route'),
        await drawn(bo.page, 'meridian-outlines', 'Park'),
      ];
      return l?.properties['stroke-dash'] === 'dash' && a?.properties['stroke-dash'] === undefined
        ? true
        : undefined;
    });

    // A shift-drag box around the marker and the area selects those two, not the line.
    await page.getByTestId('selection-clear').click();
    await page.evaluate(() => {
      window.location.hash = '#15/45.766/4.834';
    });
    await waitForMapIdle(page);
    const from = await screenPoint(page, [4.828, 45.7695]);
    const to = await screenPoint(page, [4.838, 45.765]);
    await page.keyboard.down('Shift');
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 });
    await page.mouse.move(to.x, to.y, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await eventually('two features selected by the box', async () =>
      (await mapOf(page).getAttribute('data-selection-count')) === '2' ? true : undefined,
    );
    await details.waitFor();
    expect(await details.getAttribute('data-count')).toBe('2');
    expect(
      await page
        .locator('[aria-current=true][data-testid^=feature-item-]')
        .evaluateAll((items) => items.map((i) => i.getAttribute('data-title')).sort()),
    ).toEqual(['Café Ada', 'Park']);
    await page.getByTestId('selection-clear').click();
    expect(ada.errors).toEqual([]);
  });

  it('on a 390×844 phone the style panel is reached in the bottom sheet, with no controls overlapping', async () => {
    const cy = await newPerson(browser, 'Cy', PHONE, { isMobile: true, hasTouch: true });
    try {
      await openMap(cy, `${mapLink(web, mapId, editKey)}#15/${CENTER[1]}/${CENTER[0]}`);
      const page = cy.page;
      await page.getByTestId('sheet-toggle').click();
      await page.locator('[data-testid^=feature-item-][data-title="Tram route"]').click();
      const panel = page.getByTestId('style-panel');
      await panel.scrollIntoViewIfNeeded();
      await page.getByTestId('style-dash-solid').tap();
      await eventually('the line solid again for Bo', async () => {
        const l = await drawn(bo.page, 'meridian-lines', 'Tram route');
        return l?.properties['stroke-dash'] === undefined ? true : undefined;
      });
      const boxes = await page.evaluate(() => {
        const sheet = document.querySelector('.sidepanel');
        const controls = [
          ...(sheet?.querySelectorAll<HTMLElement>(
            '.style-panel button, .style-panel input, .style-panel summary',
          ) ?? []),
        ];
        return controls.map((element) => {
          const r = element.getBoundingClientRect();
          return {
            what: element.dataset.testid ?? element.tagName,
            left: r.left,
            top: r.top,
            right: r.right,
            bottom: r.bottom,
          };
        });
      });
      expect(boxes.length).toBeGreaterThanOrEqual(8);
      for (const box of boxes) {
        expect(box.left, box.what).toBeGreaterThanOrEqual(0);
        expect(box.right, box.what).toBeLessThanOrEqual(PHONE.width);
      }
      const overlaps: string[] = [];
      for (const [i, a] of boxes.entries())
        for (const b of boxes.slice(i + 1))
          if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
            overlaps.push(`${a.what} × ${b.what}`);
      expect(overlaps).toEqual([]);
      await page.screenshot({ path: `${artifactsDir}/style-phone-sheet.png` });

      // The toolbar: every tool on screen at once (wrapped, not cut off at the edge), none on another.
      await page.getByTestId('sheet-toggle').click();
      await waitForMapIdle(page);
      const tools = await page.locator('.toolbar > button, .toolbar > label').evaluateAll((elements) =>
        elements.map((e) => {
          const r = e.getBoundingClientRect();
          return {
            what: e.getAttribute('data-testid') ?? e.tagName,
            left: r.left,
            right: r.right,
            top: r.top,
            bottom: r.bottom,
          };
        }),
      );
      expect(tools.length).toBeGreaterThanOrEqual(8);
      for (const tool of tools) {
        expect(tool.left, tool.what).toBeGreaterThanOrEqual(0);
        expect(tool.right, tool.what).toBeLessThanOrEqual(PHONE.width);
      }
      // No pale band on the map: the page's background (#f6f7f9) never shows through the map canvas.
      const mapPng = await page.screenshot({ path: `${artifactsDir}/style-phone-map.png` });
      const pale = await countColors(page, mapPng, { background: '#f6f7f9' }, 3);
      // The band was some 16,000 pixels; a few hundred are anti-aliased edges of controls.
      expect(pale.background).toBeLessThan(1000);
      expect(cy.errors).toEqual([]);
    } finally {
      await cy.context.close();
    }
  });
});
