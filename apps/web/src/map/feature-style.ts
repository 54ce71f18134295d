import type { StrokeDash } from '@meridian/protocol';
import type { ExpressionSpecification } from 'maplibre-gl';

/**
 * How a feature's style keys (simplestyle's, plus Meridian's `stroke-dash` and `show-label`)
 * become MapLibre paint and layout values. Every expression reads the rendered feature's
 * properties, falling back to `color` (the feature's or its feed layer's colour) and to the
 * defaults below, so a default style merged into the properties before rendering just works.
 */

/** Multipliers of a marker's radius (and its icon) per simplestyle `marker-size`. */
export const MARKER_SIZE_SCALE = { small: 0.75, medium: 1, large: 1.45 } as const;

/** Line dash patterns, in line widths (MapLibre scales `line-dasharray` by the width). */
export const DASH_PATTERNS: Record<StrokeDash, number[]> = {
  solid: [1, 0],
  dash: [2.5, 1.8],
  // A zero-length dash with round caps draws a dot one line width across.
  dot: [0, 2],
};

export const STYLE_DEFAULTS = {
  lineWidth: 4,
  outlineWidth: 2,
  strokeOpacity: 1,
  fillOpacity: 0.28,
} as const;

/** Prefix of the map images of the bundled Maki icons: `maki-cafe` (white), `maki-cafe-dark`. */
export const ICON_IMAGE_PREFIX = 'maki-';
export const DARK_ICON_SUFFIX = '-dark';

/** Above this perceived brightness (0..255) of the marker colour, its icon is drawn dark. */
const LIGHT_MARKER_LUMA = 170;

const get = (key: string): ExpressionSpecification => ['get', key];
const num = (key: string, fallback: number): ExpressionSpecification => [
  'to-number',
  ['coalesce', get(key), fallback],
];

export const markerColor: ExpressionSpecification = [
  'to-color',
  ['coalesce', get('marker-color'), get('color')],
];
export const strokeColor: ExpressionSpecification = ['to-color', ['coalesce', get('stroke'), get('color')]];
export const fillColor: ExpressionSpecification = ['to-color', ['coalesce', get('fill'), get('color')]];
export const strokeOpacity = num('stroke-opacity', STYLE_DEFAULTS.strokeOpacity);
export const fillOpacity = num('fill-opacity', STYLE_DEFAULTS.fillOpacity);
export const strokeWidth = (fallback: number): ExpressionSpecification => num('stroke-width', fallback);

export const strokeDasharray: ExpressionSpecification = [
  'match',
  ['coalesce', get('stroke-dash'), 'solid'],
  'dash',
  ['literal', DASH_PATTERNS.dash],
  'dot',
  ['literal', DASH_PATTERNS.dot],
  ['literal', DASH_PATTERNS.solid],
];

const sizeScale: ExpressionSpecification = [
  'match',
  ['coalesce', get('marker-size'), 'medium'],
  'small',
  MARKER_SIZE_SCALE.small,
  'large',
  MARKER_SIZE_SCALE.large,
  MARKER_SIZE_SCALE.medium,
];

/**
 * A marker grows with zoom up to z10, scaled by its size (a zoom curve must be the outer
 * expression); `extraPx` rings it (the selection).
 */
export const markerRadiusPlus = (extraPx: number): ExpressionSpecification => [
  'interpolate',
  ['linear'],
  ['zoom'],
  0,
  ['+', ['*', 6, sizeScale], extraPx],
  10,
  ['+', ['*', 9, sizeScale], extraPx],
];
export const markerRadius = markerRadiusPlus(0);

/** An icon fills about two thirds of its marker (Maki icons are 15 px; images are added at pixelRatio 2). */
export const iconSize: ExpressionSpecification = ['*', 0.8, sizeScale];

const symbol: ExpressionSpecification = ['coalesce', get('marker-symbol'), ''];

/** Brightness of the marker colour, from its RGBA components (ITU-R BT.601 weights). */
const markerLuma: ExpressionSpecification = [
  '+',
  ['*', 0.299, ['at', 0, ['to-rgba', markerColor]]],
  ['*', 0.587, ['at', 1, ['to-rgba', markerColor]]],
  ['*', 0.114, ['at', 2, ['to-rgba', markerColor]]],
];

/** Maki names are longer than one character; simplestyle's single letters and digits are drawn as text. */
export const iconImage: ExpressionSpecification = [
  'case',
  ['<=', ['length', symbol], 1],
  '',
  ['>', markerLuma, LIGHT_MARKER_LUMA],
  ['concat', ICON_IMAGE_PREFIX, symbol, DARK_ICON_SUFFIX],
  ['concat', ICON_IMAGE_PREFIX, symbol],
];

export const symbolLetter: ExpressionSpecification = [
  'case',
  ['==', ['length', symbol], 1],
  ['upcase', symbol],
  '',
];

export const symbolTextColor: ExpressionSpecification = [
  'case',
  ['>', markerLuma, LIGHT_MARKER_LUMA],
  '#111827',
  '#ffffff',
];

/** The title, unless `show-label` is false. */
export const labelText: ExpressionSpecification = [
  'case',
  ['==', get('show-label'), false],
  '',
  ['coalesce', get('title'), ''],
];

/** Below a marker, clear of it whatever its size (ems of the 12 px label). */
export const labelOffset: ExpressionSpecification = [
  'match',
  ['coalesce', get('marker-size'), 'medium'],
  'small',
  ['literal', [0, 0.75]],
  'large',
  ['literal', [0, 1.25]],
  ['literal', [0, 0.9]],
];
