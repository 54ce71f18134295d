import type { Feature, StyleKey } from '@meridian/protocol';
import { STYLE_DEFAULTS } from '../map/feature-style.ts';
import { DEFAULT_FEATURE_COLOR, featureColor } from './render-features.ts';

/** Which parts of the style panel apply to a set of features: a marker has no fill, a line no icon. */
export interface StyleSections {
  marker: boolean;
  stroke: boolean;
  fill: boolean;
}

export function styleSections(features: readonly Feature[]): StyleSections {
  const types = new Set(features.map((f) => f.geometry.type));
  const has = (...kinds: Feature['geometry']['type'][]) => kinds.some((kind) => types.has(kind));
  const collection = has('GeometryCollection');
  return {
    marker: collection || has('Point', 'MultiPoint'),
    stroke: collection || has('LineString', 'MultiLineString', 'Polygon', 'MultiPolygon'),
    fill: collection || has('Polygon', 'MultiPolygon'),
  };
}

/** What the panel shows for a style key: the features' shared value (or the default), or `mixed`. */
export type Shown<T> = { value: T; mixed: boolean };

const DEFAULTS: { [K in StyleKey]: (feature: Feature) => unknown } = {
  'marker-color': (f) => featureColor(f),
  'marker-symbol': () => '',
  'marker-size': () => 'medium',
  stroke: (f) => f.properties.stroke ?? featureColor(f),
  'stroke-width': (f) =>
    f.geometry.type.endsWith('Polygon') ? STYLE_DEFAULTS.outlineWidth : STYLE_DEFAULTS.lineWidth,
  'stroke-opacity': () => STYLE_DEFAULTS.strokeOpacity,
  fill: (f) => f.properties.fill ?? featureColor(f),
  'fill-opacity': () => STYLE_DEFAULTS.fillOpacity,
  'stroke-dash': () => 'solid',
  'show-label': () => true,
};

/** The value of `key` as drawn for each feature (its own, else what the map draws by default). */
export function shownValue<T>(features: readonly Feature[], key: StyleKey): Shown<T> {
  const values = features.map((f) => (f.properties[key] ?? DEFAULTS[key](f)) as T);
  const first = values[0] ?? (DEFAULTS[key]({ properties: {}, geometry: { type: 'Point' } } as Feature) as T);
  return { value: first, mixed: values.some((v) => v !== first) };
}

/** `#rgb` as `#rrggbb`, which `<input type=color>` needs. */
export function fullHex(color: string): string {
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(color);
  if (short) return `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}`.toLowerCase();
  return /^#[0-9a-f]{6}$/i.test(color) ? color.toLowerCase() : DEFAULT_FEATURE_COLOR;
}
