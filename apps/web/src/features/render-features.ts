import { type Feature, type KnownProperties, STYLE_KEYS, type StyleKey } from '@meridian/protocol';
import type { Feature as GeoJsonFeature, Geometry as GeoJsonGeometry } from 'geojson';
import { drawableGeometry } from './antimeridian.ts';

/** Colour of a feature that has none of its own. */
export const DEFAULT_FEATURE_COLOR = '#2563eb';

/**
 * Which map source a feature is drawn from: people's points are clustered, lines and polygons are
 * not, and live-feed entries that are points have a source of their own (their own symbol, never
 * merged into a cluster with someone's markers).
 */
export type FeatureBucket = 'points' | 'shapes' | 'feed';

export const FEATURE_BUCKETS: readonly FeatureBucket[] = ['points', 'shapes', 'feed'];

export const bucketOf = (feature: Feature): FeatureBucket =>
  feature.geometry.type !== 'Point' ? 'shapes' : feature.properties.layer ? 'feed' : 'points';

/** The colour of each live-feed layer, by layer id. */
export type LayerColorMap = ReadonlyMap<string, string>;

const NO_LAYERS: LayerColorMap = new Map();

/** A feature's style keys, as the map layers' expressions read them (absent = the default). */
export type RenderStyle = { [K in StyleKey]?: NonNullable<KnownProperties[K]> };

/**
 * Only what the layers need; text is drawn by MapLibre as text, never parsed as markup. The style
 * keys keep their GeoJSON names so a default style (a layer's) can be merged in before rendering.
 */
export interface RenderProperties extends RenderStyle {
  fid: string;
  title: string;
  color: string;
  /** The live-feed layer the feature belongs to, or '' for people's features. */
  layer: string;
}

export type RenderFeature = GeoJsonFeature<GeoJsonGeometry, RenderProperties> & { id: string };

/** A feed entry takes its layer's colour (whatever the feed said): a layer reads as one thing. */
export function featureColor(feature: Feature, layerColors: LayerColorMap = NO_LAYERS): string {
  const layer = feature.properties.layer;
  const fromLayer = layer ? layerColors.get(layer) : undefined;
  const own = feature.geometry.type.endsWith('Point')
    ? feature.properties['marker-color']
    : (feature.properties.stroke ?? feature.properties.fill);
  return fromLayer ?? own ?? feature.properties['marker-color'] ?? DEFAULT_FEATURE_COLOR;
}

/** A colour picked for a feature, as the simplestyle keys every geometry type reads. */
export function colorProperties(color: string): { 'marker-color': string; stroke: string; fill: string } {
  return { 'marker-color': color, stroke: color, fill: color };
}

/** A feed entry is drawn in its layer's colour, whatever colours the feed gave it. */
const FEED_OVERRIDDEN: ReadonlySet<StyleKey> = new Set(['marker-color', 'stroke', 'fill']);

/** The style keys a feature sets, with valid values only (the protocol validated them already). */
export function styleOf(feature: Feature): RenderStyle {
  const style: Record<string, unknown> = {};
  const feed = Boolean(feature.properties.layer);
  for (const key of STYLE_KEYS) {
    const value = feature.properties[key];
    if (value === undefined || value === null || (feed && FEED_OVERRIDDEN.has(key))) continue;
    style[key] = value;
  }
  return style as RenderStyle;
}

export function renderProperties(feature: Feature, layerColors: LayerColorMap = NO_LAYERS): RenderProperties {
  return {
    ...styleOf(feature),
    fid: feature.id,
    title: feature.properties.title ?? '',
    color: featureColor(feature, layerColors),
    layer: feature.properties.layer ?? '',
  };
}

export function toRenderFeature(feature: Feature, layerColors: LayerColorMap = NO_LAYERS): RenderFeature {
  return {
    type: 'Feature',
    id: feature.id,
    // Shapes across ±180° drawn as shapes, not bands; the stored geometry is untouched.
    geometry: drawableGeometry(feature.geometry),
    properties: renderProperties(feature, layerColors),
  };
}

/** A feature that came from a live feed: the feed's, so shown but never edited or moved here. */
export const isFeedFeature = (feature: Feature | undefined): boolean => Boolean(feature?.properties.layer);
