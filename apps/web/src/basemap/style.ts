import type { StyleSpecification } from 'maplibre-gl';

/** Basemap colours; e2e screenshots look for LAND_COLOR to prove the basemap drew. */
export const BASEMAP_COLORS = {
  ocean: '#a9cfe6',
  land: '#efe8d6',
  coast: '#7fa7c2',
  border: '#b3a48a',
  countryLabel: '#5b5140',
  placeLabel: '#2f2a22',
} as const;

/**
 * The embedded offline style: every source is served by this app, nothing is fetched from the
 * internet. No `glyphs`: MapLibre draws text-field labels with the system's fonts.
 */
export function offlineStyle(basemapUrl: string): StyleSpecification {
  return {
    version: 8,
    name: 'Meridian offline',
    sources: {
      basemap: { type: 'geojson', data: basemapUrl, tolerance: 0.5, maxzoom: 10 },
    },
    layers: [
      { id: 'ocean', type: 'background', paint: { 'background-color': BASEMAP_COLORS.ocean } },
      {
        id: 'land',
        type: 'fill',
        source: 'basemap',
        filter: ['==', ['get', 'kind'], 'land'],
        paint: { 'fill-color': BASEMAP_COLORS.land, 'fill-antialias': false },
      },
      {
        id: 'coast',
        type: 'line',
        source: 'basemap',
        filter: ['==', ['get', 'kind'], 'coast'],
        paint: {
          'line-color': BASEMAP_COLORS.coast,
          'line-width': ['interpolate', ['linear'], ['zoom'], 0, 0.5, 6, 1.2],
        },
      },
      {
        id: 'borders',
        type: 'line',
        source: 'basemap',
        filter: ['==', ['get', 'kind'], 'border'],
        paint: {
          'line-color': BASEMAP_COLORS.border,
          'line-width': ['interpolate', ['linear'], ['zoom'], 0, 0.4, 6, 1.2],
          'line-dasharray': [3, 2],
        },
      },
      {
        id: 'country-labels',
        type: 'symbol',
        source: 'basemap',
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
        source: 'basemap',
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
        source: 'basemap',
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
