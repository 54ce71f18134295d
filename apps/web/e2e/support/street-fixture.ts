import type { Feature, FeatureCollection } from 'geojson';
import geojsonvt from 'geojson-vt';
import vtpbf from 'vt-pbf';

/**
 * A tiny street map of a few Lyon blocks, made in the test: roads with names, buildings and the
 * river, sliced into Mapbox Vector Tiles with geojson-vt and encoded with vt-pbf. The layer names
 * follow the OpenMapTiles schema (transportation, building, water) that real street styles use.
 */
export const STREET_CENTER: [number, number] = [4.8357, 45.764];
export const STREET_LAYERS = ['water', 'building', 'transportation'] as const;
export const STREET_COLORS = {
  background: '#f2efe9',
  water: '#3b82f6',
  building: '#c0392b',
  road: '#ffffff',
};
export const MAX_ZOOM = 14;

const [cx, cy] = STREET_CENTER;
const dx = 0.004;
const dy = 0.0028;

function road(name: string, coordinates: [number, number][]): Feature {
  return {
    type: 'Feature',
    properties: { class: 'primary', name },
    geometry: { type: 'LineString', coordinates },
  };
}

function block(x: number, y: number): Feature {
  const w = dx * 0.7;
  const h = dy * 0.7;
  return {
    type: 'Feature',
    properties: { render_height: 12 },
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [x, y],
          [x + w, y],
          [x + w, y + h],
          [x, y + h],
          [x, y],
        ],
      ],
    },
  };
}

export const STREET_DATA: Record<(typeof STREET_LAYERS)[number], FeatureCollection> = {
  water: {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: { class: 'river' },
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [cx - 5 * dx, cy - 6 * dy],
              [cx - 3.6 * dx, cy - 6 * dy],
              [cx - 3.6 * dx, cy + 6 * dy],
              [cx - 5 * dx, cy + 6 * dy],
              [cx - 5 * dx, cy - 6 * dy],
            ],
          ],
        },
      },
    ],
  },
  building: {
    type: 'FeatureCollection',
    features: [-2, -1, 0, 1, 2].flatMap((i) =>
      [-2, -1, 0, 1].map((j) => block(cx + i * dx + dx * 0.15, cy + j * dy + dy * 0.15)),
    ),
  },
  transportation: {
    type: 'FeatureCollection',
    features: [
      ...[-2, -1, 0, 1, 2].map((i) =>
        road(`Rue ${i + 3}`, [
          [cx + i * dx, cy - 5 * dy],
          [cx + i * dx, cy + 5 * dy],
        ]),
      ),
      ...[-2, -1, 0, 1, 2].map((j) =>
        road(`Avenue ${j + 3}`, [
          [cx - 3 * dx, cy + j * dy],
          [cx + 3 * dx, cy + j * dy],
        ]),
      ),
    ],
  },
};

type TileIndex = ReturnType<typeof geojsonvt>;

/** Vector tiles on demand: the MVT bytes of z/x/y, or null where the fixture has no data. */
export function streetTiles(): (z: number, x: number, y: number) => Uint8Array | null {
  const indexes = Object.fromEntries(
    STREET_LAYERS.map((name) => [
      name,
      geojsonvt(STREET_DATA[name], { maxZoom: MAX_ZOOM, indexMaxZoom: MAX_ZOOM }),
    ]),
  ) as Record<(typeof STREET_LAYERS)[number], TileIndex>;
  return (z, x, y) => {
    const layers: Record<string, NonNullable<ReturnType<TileIndex['getTile']>>> = {};
    for (const name of STREET_LAYERS) {
      const tile = indexes[name].getTile(z, x, y);
      if (tile && tile.features.length > 0) layers[name] = tile;
    }
    if (Object.keys(layers).length === 0) return null;
    return vtpbf.fromGeojsonVt(layers, { version: 2 });
  };
}

/** Every tile with data from zoom 0 to MAX_ZOOM (for an archive). */
export function allStreetTiles(): { z: number; x: number; y: number; data: Uint8Array }[] {
  const tileAt = streetTiles();
  const [west, south, east, north] = [cx - 6 * dx, cy - 7 * dy, cx + 4 * dx, cy + 7 * dy];
  const out: { z: number; x: number; y: number; data: Uint8Array }[] = [];
  for (let z = 0; z <= MAX_ZOOM; z++) {
    const [x0, y0] = tileOf(west, north, z);
    const [x1, y1] = tileOf(east, south, z);
    for (let x = x0; x <= x1; x++)
      for (let y = y0; y <= y1; y++) {
        const data = tileAt(z, x, y);
        if (data) out.push({ z, x, y, data });
      }
  }
  return out;
}

function tileOf(lng: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const x = Math.floor(((lng + 180) / 360) * n);
  const rad = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  return [x, y];
}

/**
 * A street style over `source` (an `{z}/{x}/{y}` tile URL template, or a `pmtiles://` URL). No
 * glyphs: MapLibre 6 draws the road names with the system's fonts.
 */
export function streetStyle(name: string, source: { tiles: string[] } | { url: string }) {
  return {
    version: 8,
    name,
    sources: {
      streets: {
        type: 'vector',
        ...source,
        ...('tiles' in source ? { minzoom: 0, maxzoom: MAX_ZOOM } : {}),
        attribution: 'Test streets © Meridian e2e',
      },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': STREET_COLORS.background } },
      {
        id: 'water',
        type: 'fill',
        source: 'streets',
        'source-layer': 'water',
        paint: { 'fill-color': STREET_COLORS.water },
      },
      {
        id: 'building',
        type: 'fill',
        source: 'streets',
        'source-layer': 'building',
        paint: { 'fill-color': STREET_COLORS.building },
      },
      {
        id: 'road',
        type: 'line',
        source: 'streets',
        'source-layer': 'transportation',
        paint: { 'line-color': STREET_COLORS.road, 'line-width': 8 },
      },
      {
        id: 'road-name',
        type: 'symbol',
        source: 'streets',
        'source-layer': 'transportation',
        layout: { 'text-field': ['get', 'name'], 'symbol-placement': 'line', 'text-size': 12 },
        paint: { 'text-color': '#333333', 'text-halo-color': '#ffffff', 'text-halo-width': 1 },
      },
    ],
  };
}
