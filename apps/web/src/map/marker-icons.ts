import type * as maplibregl from 'maplibre-gl';
import { MAKI_ICONS } from '../icons/maki-catalog.ts';
import { loadMakiSvgs, makiDataUrl } from '../icons/maki-svgs.ts';
import { DARK_ICON_SUFFIX, ICON_IMAGE_PREFIX } from './feature-style.ts';

/** Maki icons are drawn on a 15 px grid; rasterised at twice that for sharp icons on dense screens. */
const ICON_PX = 15;
const PIXEL_RATIO = 2;
const BUNDLED: ReadonlySet<string> = new Set(
  MAKI_ICONS.flatMap(({ name }) => [
    `${ICON_IMAGE_PREFIX}${name}`,
    `${ICON_IMAGE_PREFIX}${name}${DARK_ICON_SUFFIX}`,
  ]),
);

let rasters: Promise<Map<string, ImageData>> | null = null;

async function rasterise(svg: string, fill: string): Promise<ImageData> {
  const image = new Image(ICON_PX * PIXEL_RATIO, ICON_PX * PIXEL_RATIO);
  image.src = makiDataUrl(svg, fill);
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = ICON_PX * PIXEL_RATIO;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2D canvas to draw the marker icons');
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

/** Every bundled icon twice: white (on dark markers) and near-black (on light ones); made once per page. */
function iconRasters(): Promise<Map<string, ImageData>> {
  rasters ??= loadMakiSvgs().then(async (svgs) => {
    const out = new Map<string, ImageData>();
    await Promise.all(
      Object.entries(svgs).map(async ([name, svg]) => {
        out.set(`${ICON_IMAGE_PREFIX}${name}`, await rasterise(svg, '#ffffff'));
        out.set(`${ICON_IMAGE_PREFIX}${name}${DARK_ICON_SUFFIX}`, await rasterise(svg, '#111827'));
      }),
    );
    return out;
  });
  rasters.catch(() => {
    rasters = null;
  });
  return rasters;
}

/**
 * Give the map the marker icons (again after every style change, which drops a map's images).
 * A symbol that names an icon that is not bundled (imported data may) gets an empty image, so it
 * draws as a plain marker instead of warning on every frame.
 */
export async function addMarkerIcons(map: maplibregl.Map): Promise<void> {
  const images = await iconRasters();
  for (const [id, data] of images) if (!map.hasImage(id)) map.addImage(id, data, { pixelRatio: PIXEL_RATIO });
}

export function fillMissingIcon(map: maplibregl.Map, id: string): void {
  if (BUNDLED.has(id) || map.hasImage(id)) return;
  map.addImage(id, { width: 1, height: 1, data: new Uint8Array(4) });
}
