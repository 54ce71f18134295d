import type { LayerSpecification, StyleSpecification } from 'maplibre-gl';

/** Basemap colours; e2e screenshots look for LAND_COLOR to prove the basemap drew. */
export const BASEMAP_COLORS = {
  ocean: '#a9cfe6',
  land: '#efe8d6',
  coast: '#7fa7c2',
  border: '#b3a48a',
  countryLabel: '#5b5140',
  placeLabel: '#2f2a22',
} as const;

/** The offline basemap's two sources: the overview is in the style, the detail is filled on zoom-in. */
export const OFFLINE_BASEMAP = {
  overviewSource: 'basemap',
  detailSource: 'basemap-detail',
  /** From this zoom on, land and borders come from the 1:50m detail instead of the 1:110m overview. */
  detailMinZoom: 4,
} as const;

function shapeLayers(source: string, zoom: { minzoom?: number; maxzoom?: number }): LayerSpecification[] {
  const suffix = source === OFFLINE_BASEMAP.overviewSource ? '' : '-detail';
  return [
    {
      id: `land${suffix}`,
      type: 'fill',
      source,
      ...zoom,
      filter: ['==', ['get', 'kind'], 'land'],
      paint: { 'fill-color': BASEMAP_COLORS.land, 'fill-antialias': false },
    },
    {
      id: `coast${suffix}`,
      type: 'line',
      source,
      ...zoom,
      filter: ['==', ['get', 'kind'], 'coast'],
      paint: {
        'line-color': BASEMAP_COLORS.coast,
        'line-width': ['interpolate', ['linear'], ['zoom'], 0, 0.5, 6, 1.2],
      },
    },
    {
      id: `borders${suffix}`,
      type: 'line',
      source,
      ...zoom,
      filter: ['==', ['get', 'kind'], 'border'],
      paint: {
        'line-color': BASEMAP_COLORS.border,
        'line-width': ['interpolate', ['linear'], ['zoom'], 0, 0.4, 6, 1.2],
        'line-dasharray': [3, 2],
      },
    },
  ];
}

/**
 * The embedded offline style: every source is served by this app, nothing is fetched from the
 * internet. No `glyphs`: MapLibre draws text-field labels with the system's fonts.
 */
export function offlineStyle(overviewUrl: string): StyleSpecification {
  return {
    version: 8,
    name: 'Meridian offline',
    sources: {
      [OFFLINE_BASEMAP.overviewSource]: {
        type: 'geojson',
        data: overviewUrl,
        tolerance: 0.5,
        maxzoom: 8,
        attribution: 'Natural Earth',
      },
      [OFFLINE_BASEMAP.detailSource]: {
        type: 'geojson',
        data: { type: 'FeatureCollection', features: [] },
        tolerance: 0.5,
        maxzoom: 10,
      },
    },
    layers: [
      { id: 'ocean', type: 'background', paint: { 'background-color': BASEMAP_COLORS.ocean } },
      ...shapeLayers(OFFLINE_BASEMAP.overviewSource, { maxzoom: OFFLINE_BASEMAP.detailMinZoom }),
      ...shapeLayers(OFFLINE_BASEMAP.detailSource, { minzoom: OFFLINE_BASEMAP.detailMinZoom }),
      {
        id: 'country-labels',
        type: 'symbol',
        source: OFFLINE_BASEMAP.overviewSource,
        filter: [
          'all',
          ['==', ['get', 'kind'], 'country-label'],
          ['<=', ['get', 'rank'], ['+', 1, ['floor', ['zoom']]]],
        ],
        layout: {
          'text-field': ['get', 'name'],
          'text-size': ['interpolate', ['linear'], ['zoom'], 1, 10, 5, 14],
          'text-max-width': 7,
          'symbol-sort-key': ['get', 'rank'],
        },
        paint: {
          'text-color': BASEMAP_COLORS.countryLabel,
          'text-halo-color': '#ffffff',
          'text-halo-width': 1,
        },
      },
      {
        id: 'places',
        type: 'circle',
        source: OFFLINE_BASEMAP.overviewSource,
        minzoom: 2,
        filter: [
          'all',
          ['==', ['get', 'kind'], 'place'],
          ['<=', ['get', 'rank'], ['-', ['floor', ['zoom']], 1]],
        ],
        paint: { 'circle-radius': 2.5, 'circle-color': BASEMAP_COLORS.placeLabel },
      },
      {
        id: 'place-labels',
        type: 'symbol',
        source: OFFLINE_BASEMAP.overviewSource,
        minzoom: 2,
        filter: [
          'all',
          ['==', ['get', 'kind'], 'place'],
          ['<=', ['get', 'rank'], ['-', ['floor', ['zoom']], 1]],
        ],
        layout: {
          'text-field': ['get', 'name'],
          'text-size': 11,
          'text-anchor': 'left',
          'text-offset': [0.5, 0],
          'symbol-sort-key': ['get', 'rank'],
        },
        paint: {
          'text-color': BASEMAP_COLORS.placeLabel,
          'text-halo-color': '#ffffff',
          'text-halo-width': 1,
        },
      },
    ],
  };
}
