import type {
  ExpressionSpecification,
  FilterSpecification,
  LayerSpecification,
  SourceSpecification,
} from 'maplibre-gl';
import { DEFAULT_FEATURE_COLOR } from '../features/render-features.ts';
import {
  fillColor,
  fillOpacity,
  iconImage,
  iconSize,
  labelOffset,
  labelText,
  markerColor,
  markerRadius,
  markerRadiusPlus,
  STYLE_DEFAULTS,
  strokeColor,
  strokeDasharray,
  strokeOpacity,
  strokeWidth,
  symbolLetter,
  symbolTextColor,
} from './feature-style.ts';

/** Source ids this app adds on top of any basemap style. */
export const SOURCES = {
  points: 'meridian-points',
  shapes: 'meridian-shapes',
  /** Live-feed entries that are points (unclustered: a feed's entries are few and its own). */
  feed: 'meridian-feed',
  selection: 'meridian-selection',
  draft: 'meridian-draft',
  viewports: 'meridian-viewports',
  editors: 'meridian-editors',
} as const;

/** Layers that hit-testing looks at, by what they are. */
export const LAYERS = {
  clusters: 'meridian-clusters',
  clusterCount: 'meridian-cluster-count',
  points: 'meridian-points',
  /** A marker's Maki icon (or simplestyle letter) on its disc. */
  pointIcons: 'meridian-point-icons',
  pointLabels: 'meridian-point-labels',
  fills: 'meridian-fills',
  outlines: 'meridian-outlines',
  lines: 'meridian-lines',
  shapeLabels: 'meridian-shape-labels',
  feedRings: 'meridian-feed-rings',
  feedDots: 'meridian-feed-dots',
  feedLabels: 'meridian-feed-labels',
  selectionHalo: 'meridian-selection-halo',
  selectionPoint: 'meridian-selection-point',
  vertices: 'meridian-vertices',
  draftLine: 'meridian-draft-line',
  draftVertices: 'meridian-draft-vertices',
  viewports: 'meridian-viewports',
  editors: 'meridian-editors',
} as const;

/**
 * Our labels' font: served by the glyph servers of OpenFreeMap, MapTiler and Protomaps alike (a
 * style with `glyphs` fetches it from there); with no `glyphs` MapLibre draws it with local fonts.
 */
const LABEL_FONT = ['Noto Sans Regular'];

/** Points merge into clusters below this zoom. */
export const CLUSTER_MAX_ZOOM = 11;

const empty = (): GeoJSON.FeatureCollection => ({ type: 'FeatureCollection', features: [] });
const color: ExpressionSpecification = ['coalesce', ['get', 'color'], DEFAULT_FEATURE_COLOR];
const notDragged = (id: string | null): ExpressionSpecification | boolean =>
  id === null ? true : ['!=', ['get', 'fid'], id];

export function meridianSources(): Record<string, SourceSpecification> {
  return {
    [SOURCES.points]: {
      type: 'geojson',
      data: empty(),
      cluster: true,
      clusterMaxZoom: CLUSTER_MAX_ZOOM,
      clusterRadius: 40,
    },
    [SOURCES.shapes]: { type: 'geojson', data: empty() },
    [SOURCES.feed]: { type: 'geojson', data: empty() },
    [SOURCES.selection]: { type: 'geojson', data: empty() },
    [SOURCES.draft]: { type: 'geojson', data: empty() },
    [SOURCES.viewports]: { type: 'geojson', data: empty() },
    [SOURCES.editors]: { type: 'geojson', data: empty() },
  };
}

/** Feature layers' filters; `hiddenId` leaves out a feature while it is being dragged. */
export function featureFilters(hiddenId: string | null): Record<string, FilterSpecification> {
  const hide = notDragged(hiddenId);
  return {
    [LAYERS.points]: ['all', ['!', ['has', 'point_count']], hide],
    [LAYERS.pointIcons]: ['all', ['!', ['has', 'point_count']], ['has', 'marker-symbol'], hide],
    [LAYERS.pointLabels]: ['all', ['!', ['has', 'point_count']], hide],
    [LAYERS.fills]: ['all', ['==', ['geometry-type'], 'Polygon'], hide],
    [LAYERS.outlines]: ['all', ['==', ['geometry-type'], 'Polygon'], hide],
    [LAYERS.lines]: ['all', ['==', ['geometry-type'], 'LineString'], hide],
    [LAYERS.shapeLabels]: ['all', hide],
  };
}

export function meridianLayers(): LayerSpecification[] {
  const filters = featureFilters(null);
  return [
    {
      id: LAYERS.viewports,
      type: 'line',
      source: SOURCES.viewports,
      paint: {
        'line-color': ['get', 'color'],
        'line-width': 2,
        'line-dasharray': [2, 1.5],
        'line-opacity': 0.8,
      },
    },
    {
      id: LAYERS.fills,
      type: 'fill',
      source: SOURCES.shapes,
      filter: filters[LAYERS.fills],
      paint: { 'fill-color': fillColor, 'fill-opacity': fillOpacity },
    },
    {
      id: LAYERS.outlines,
      type: 'line',
      source: SOURCES.shapes,
      filter: filters[LAYERS.outlines],
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: {
        'line-color': strokeColor,
        'line-width': strokeWidth(STYLE_DEFAULTS.outlineWidth),
        'line-opacity': strokeOpacity,
        'line-dasharray': strokeDasharray,
      },
    },
    {
      id: LAYERS.lines,
      type: 'line',
      source: SOURCES.shapes,
      filter: filters[LAYERS.lines],
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: {
        'line-color': strokeColor,
        'line-width': strokeWidth(STYLE_DEFAULTS.lineWidth),
        'line-opacity': strokeOpacity,
        'line-dasharray': strokeDasharray,
      },
    },
    {
      id: LAYERS.shapeLabels,
      type: 'symbol',
      source: SOURCES.shapes,
      filter: filters[LAYERS.shapeLabels],
      minzoom: 3,
      layout: {
        'text-font': LABEL_FONT,
        'text-field': labelText,
        'text-size': 12,
        'text-max-width': 10,
      },
      paint: { 'text-color': '#111827', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
    },
    {
      id: LAYERS.clusters,
      type: 'circle',
      source: SOURCES.points,
      filter: ['has', 'point_count'],
      paint: {
        'circle-color': '#1e3a8a',
        'circle-opacity': 0.85,
        'circle-radius': ['step', ['get', 'point_count'], 14, 50, 18, 500, 24, 5000, 30],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 2,
      },
    },
    {
      id: LAYERS.clusterCount,
      type: 'symbol',
      source: SOURCES.points,
      filter: ['has', 'point_count'],
      layout: {
        'text-font': LABEL_FONT,
        'text-field': ['get', 'point_count_abbreviated'],
        'text-size': 12,
        'text-allow-overlap': true,
      },
      paint: { 'text-color': '#ffffff' },
    },
    {
      id: LAYERS.points,
      type: 'circle',
      source: SOURCES.points,
      filter: filters[LAYERS.points],
      paint: {
        'circle-color': markerColor,
        'circle-radius': markerRadius,
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 2,
      },
    },
    {
      id: LAYERS.pointIcons,
      type: 'symbol',
      source: SOURCES.points,
      filter: filters[LAYERS.pointIcons],
      layout: {
        'icon-image': iconImage,
        'icon-size': iconSize,
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
        'text-font': LABEL_FONT,
        'text-field': symbolLetter,
        'text-size': ['*', 11, iconSize],
        'text-allow-overlap': true,
        'text-ignore-placement': true,
      },
      paint: { 'text-color': symbolTextColor },
    },
    {
      id: LAYERS.pointLabels,
      type: 'symbol',
      source: SOURCES.points,
      filter: filters[LAYERS.pointLabels],
      minzoom: 4,
      layout: {
        'text-font': LABEL_FONT,
        'text-field': labelText,
        'text-size': 12,
        'text-anchor': 'top',
        'text-offset': labelOffset,
        'text-max-width': 10,
        'text-optional': true,
      },
      paint: { 'text-color': '#111827', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
    },
    // A feed entry is a ring with a dot in its layer's colour: never mistaken for a marker
    // (a filled disc), whatever colour someone gives their markers.
    {
      id: LAYERS.feedRings,
      type: 'circle',
      source: SOURCES.feed,
      paint: {
        'circle-color': '#ffffff',
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 0, 6, 10, 9],
        'circle-stroke-color': color,
        'circle-stroke-width': 3,
      },
    },
    {
      id: LAYERS.feedDots,
      type: 'circle',
      source: SOURCES.feed,
      paint: { 'circle-color': color, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 0, 2, 10, 3] },
    },
    {
      id: LAYERS.feedLabels,
      type: 'symbol',
      source: SOURCES.feed,
      minzoom: 4,
      layout: {
        'text-font': LABEL_FONT,
        'text-field': ['get', 'title'],
        'text-size': 11,
        'text-anchor': 'top',
        'text-offset': [0, 0.9],
        'text-max-width': 10,
        'text-optional': true,
      },
      paint: { 'text-color': color, 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
    },
    {
      id: LAYERS.selectionHalo,
      type: 'line',
      source: SOURCES.selection,
      filter: ['!=', ['geometry-type'], 'Point'],
      paint: { 'line-color': '#f59e0b', 'line-width': 6, 'line-opacity': 0.6 },
    },
    {
      id: LAYERS.selectionPoint,
      type: 'circle',
      source: SOURCES.selection,
      filter: ['all', ['==', ['geometry-type'], 'Point'], ['!', ['has', 'vertex']]],
      // A ring around the marker, so its icon stays visible while selected.
      paint: {
        'circle-opacity': 0,
        'circle-radius': markerRadiusPlus(2),
        'circle-stroke-color': '#f59e0b',
        'circle-stroke-width': 3,
      },
    },
    {
      id: LAYERS.vertices,
      type: 'circle',
      source: SOURCES.selection,
      filter: ['has', 'vertex'],
      paint: {
        'circle-color': '#ffffff',
        'circle-radius': 6,
        'circle-stroke-color': '#f59e0b',
        'circle-stroke-width': 2,
      },
    },
    {
      id: LAYERS.draftLine,
      type: 'line',
      source: SOURCES.draft,
      paint: { 'line-color': '#f59e0b', 'line-width': 3, 'line-dasharray': [2, 1] },
    },
    {
      id: LAYERS.draftVertices,
      type: 'circle',
      source: SOURCES.draft,
      filter: ['==', ['geometry-type'], 'Point'],
      paint: {
        'circle-color': '#ffffff',
        'circle-radius': 5,
        'circle-stroke-color': '#f59e0b',
        'circle-stroke-width': 2,
      },
    },
    {
      id: LAYERS.editors,
      type: 'symbol',
      source: SOURCES.editors,
      layout: {
        'text-font': LABEL_FONT,
        'text-field': ['get', 'label'],
        'text-size': 11,
        'text-anchor': 'bottom',
        'text-offset': [0, -1.3],
        'text-allow-overlap': true,
      },
      paint: { 'text-color': '#ffffff', 'text-halo-color': ['get', 'color'], 'text-halo-width': 3 },
    },
  ];
}
