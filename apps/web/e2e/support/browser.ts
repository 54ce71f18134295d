import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';

/** Flags that give headless Chromium WebGL2 through SwiftShader on machines without a GPU. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** One person at one browser: their own context, so their own storage and identity. */
export interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  /** Page errors seen so far; a test fails on any. */
  errors: string[];
}

/** Every pixel is drawn by SwiftShader on the CPU: a laptop-sized window, not a big one. */
export const DEFAULT_VIEWPORT = { width: 1100, height: 700 };

export async function newPerson(
  browser: Browser,
  name: string,
  viewport = DEFAULT_VIEWPORT,
  /** More context settings: a phone's `isMobile` and `hasTouch`. */
  options: BrowserContextOptions = {},
): Promise<Person> {
  const context = await browser.newContext({ ...options, viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return { name, context, page, errors };
}

/** Open a map link as this person: answer the name prompt, then wait until joined and drawn. */
export async function openMap(person: Person, url: string): Promise<void> {
  await person.page.goto(url);
  const nameInput = person.page.getByTestId('name-input');
  await nameInput.waitFor();
  await nameInput.fill(person.name);
  await person.page.getByTestId('name-submit').click();
  await waitForMap(person.page);
}

export async function waitForMap(page: Page): Promise<void> {
  await page.locator('[data-testid=map][data-ready=true]').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid=connection-status][data-status=joined]').waitFor({ timeout: 60_000 });
}

export const mapOf = (page: Page): Locator => page.getByTestId('map');

/** Wait until the map has stopped moving (an ease or a follow has landed). */
export async function waitForMapIdle(page: Page): Promise<void> {
  await page.locator('[data-testid=map][data-moving=false]').waitFor();
  await page.waitForTimeout(150);
}

export async function mapCenterPoint(page: Page): Promise<{ x: number; y: number }> {
  const box = await mapOf(page).boundingBox();
  if (!box) throw new Error('the map has no box');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** The map's centre as [lng, lat], from the attribute the map view keeps up to date. */
export async function mapCenter(page: Page): Promise<[number, number]> {
  const value = (await mapOf(page).getAttribute('data-center')) ?? '';
  const [lng, lat] = value.split(',').map(Number);
  if (lng === undefined || lat === undefined || Number.isNaN(lng) || Number.isNaN(lat))
    throw new Error(`bad data-center "${value}"`);
  return [lng, lat];
}

/** Poll until `check` returns a value (not undefined), or fail saying what was awaited. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

export const featureItems = (page: Page): Locator => page.locator('[data-testid^=feature-item-]');

/** Save a screenshot of the map area as a test artefact and return its PNG bytes. */
export async function saveMapScreenshot(page: Page, artifactsDir: string, name: string): Promise<Buffer> {
  mkdirSync(artifactsDir, { recursive: true });
  return page.screenshot({ path: path.join(artifactsDir, `${name}.png`) });
}

/**
 * Count pixels of a PNG close to each of the given colours, decoding it in the browser (no image
 * library needed): proof from pixels, not from the DOM, that something was drawn.
 */
export async function countColors(
  page: Page,
  png: Buffer,
  colors: Record<string, string>,
  tolerance = 12,
): Promise<Record<string, number>> {
  return page.evaluate(
    async ({ base64, colors, tolerance }) => {
      const blob = await (await fetch(`data:image/png;base64,${base64}`)).blob();
      const bitmap = await createImageBitmap(blob);
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d');
      if (!context) throw new Error('no 2d context');
      context.drawImage(bitmap, 0, 0);
      const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
      const targets = Object.entries(colors).map(([name, hex]) => ({
        name,
        rgb: [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)),
      }));
      const counts: Record<string, number> = Object.fromEntries(targets.map((t) => [t.name, 0]));
      for (let i = 0; i < data.length; i += 4) {
        for (const target of targets) {
          const [r, g, b] = target.rgb as [number, number, number];
          if (
            Math.abs((data[i] as number) - r) <= tolerance &&
            Math.abs((data[i + 1] as number) - g) <= tolerance &&
            Math.abs((data[i + 2] as number) - b) <= tolerance
          ) {
            counts[target.name] = (counts[target.name] ?? 0) + 1;
          }
        }
      }
      return counts;
    },
    { base64: png.toString('base64'), colors, tolerance },
  );
}
