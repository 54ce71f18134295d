import type { Viewport } from '@meridian/protocol';

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/** The subset of a MapLibre map that viewports are read from, so this stays testable. */
export interface CameraLike {
  getBounds(): { getWest(): number; getSouth(): number; getEast(): number; getNorth(): number };
  getZoom(): number;
  getBearing(): number;
  getPitch(): number;
}

/** What this person sees, as the protocol carries it (clamped to the schema's ranges). */
export function viewportOf(camera: CameraLike): Viewport {
  const bounds = camera.getBounds();
  return {
    bounds: [
      clamp(bounds.getWest(), -360, 360),
      clamp(bounds.getSouth(), -90, 90),
      clamp(bounds.getEast(), -360, 360),
      clamp(bounds.getNorth(), -90, 90),
    ],
    zoom: clamp(camera.getZoom(), 0, 24),
    bearing: clamp(camera.getBearing(), -360, 360),
    pitch: clamp(camera.getPitch(), 0, 90),
  };
}

const mercatorY = (lat: number) =>
  Math.log(Math.tan(Math.PI / 4 + (clamp(lat, -85.05, 85.05) * Math.PI) / 360));
const latitudeOf = (y: number) => ((2 * Math.atan(Math.exp(y)) - Math.PI / 2) * 180) / Math.PI;

/** The centre of a viewport's bounds, midway in Mercator (not in degrees, which drift north). */
export function viewportCenter(viewport: Viewport): [number, number] {
  const [west, south, east, north] = viewport.bounds;
  return [(west + east) / 2, latitudeOf((mercatorY(south) + mercatorY(north)) / 2)];
}

/** A viewport's bounds as a closed ring, for drawing its outline. */
export function viewportRing(viewport: Viewport): [number, number][] {
  const [west, south, east, north] = viewport.bounds;
  return [
    [west, south],
    [east, south],
    [east, north],
    [west, north],
    [west, south],
  ];
}
