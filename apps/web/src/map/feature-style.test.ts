import {
  Color,
  createPropertyExpression,
  latest,
  type StylePropertySpecification,
} from '@maplibre/maplibre-gl-style-spec';
import { type Feature, KnownProperties } from '@meridian/protocol';
import type { ExpressionSpecification } from 'maplibre-gl';
import { describe, expect, it } from 'vitest';
import { renderProperties } from '../features/render-features.ts';
import {
  fillColor,
  fillOpacity,
  iconImage,
  iconSize,
  labelText,
  markerColor,
  markerRadius,
  strokeColor,
  strokeDasharray,
  strokeOpacity,
  strokeWidth,
  symbolLetter,
} from './feature-style.ts';

type Group = 'paint_line' | 'paint_fill' | 'paint_circle' | 'layout_symbol';

/** Evaluate one of our expressions as MapLibre does, for a feature drawn from these properties. */
function evaluate(
  group: Group,
  property: string,
  expression: ExpressionSpecification,
  properties: object,
  zoom = 12,
) {
  const spec = (latest[group] as unknown as Record<string, StylePropertySpecification>)[property];
  if (!spec) throw new Error(`no ${property} in ${group}`);
  const parsed = createPropertyExpression(expression, property, spec);
  if (parsed.result !== 'success') throw new Error(JSON.stringify(parsed.value));
  const value = parsed.value.evaluate({ zoom }, {
    type: 1,
    properties: properties as Record<string, unknown>,
  } as never);
  return value instanceof Color ? value.toString() : value;
}

const point = (properties: Feature['properties']): Feature => ({
  type: 'Feature',
  id: 'f1',
  geometry: { type: 'Point', coordinates: [0, 0] },
  properties,
  version: 1,
});
const line = (properties: Feature['properties']): Feature => ({
  ...point(properties),
  geometry: {
    type: 'LineString',
    coordinates: [
      [0, 0],
      [1, 1],
    ],
  },
});
/** The properties the map's sources carry for a feature. */
const drawn = (feature: Feature) => renderProperties(feature);

describe('style expressions read the style keys, with the defaults when they are absent', () => {
  it('draws a marker in its colour and size, with its Maki icon in white or, on a light marker, dark', () => {
    const cafe = drawn(point({ 'marker-color': '#7c3aed', 'marker-symbol': 'cafe', 'marker-size': 'large' }));
    expect(evaluate('paint_circle', 'circle-color', markerColor, cafe)).toBe('rgba(124,58,237,1)');
    expect(evaluate('paint_circle', 'circle-radius', markerRadius, cafe)).toBeCloseTo(9 * 1.45);
    expect(evaluate('paint_circle', 'circle-radius', markerRadius, drawn(point({})))).toBe(9);
    expect(
      evaluate('paint_circle', 'circle-radius', markerRadius, drawn(point({ 'marker-size': 'small' }))),
    ).toBe(6.75);
    expect(String(evaluate('layout_symbol', 'icon-image', iconImage, cafe))).toBe('maki-cafe');
    const light = drawn(point({ 'marker-color': '#fde047', 'marker-symbol': 'cafe' }));
    expect(String(evaluate('layout_symbol', 'icon-image', iconImage, light))).toBe('maki-cafe-dark');
    expect(evaluate('layout_symbol', 'icon-size', iconSize, cafe)).toBeCloseTo(0.8 * 1.45);
  });

  it('draws a simplestyle letter or digit as text, not as an icon', () => {
    const lettered = drawn(point({ 'marker-symbol': 'b' }));
    // An empty image name resolves to no image.
    expect(evaluate('layout_symbol', 'icon-image', iconImage, lettered)).toBeNull();
    expect(evaluate('layout_symbol', 'text-field', symbolLetter, lettered).toString()).toBe('B');
    expect(
      evaluate(
        'layout_symbol',
        'text-field',
        symbolLetter,
        drawn(point({ 'marker-symbol': 'cafe' })),
      ).toString(),
    ).toBe('');
  });

  it('draws a line in its stroke colour, width, opacity and dash, falling back to the feature colour', () => {
    const styled = drawn(
      line({ stroke: '#dc2626', 'stroke-width': 7.5, 'stroke-opacity': 0.4, 'stroke-dash': 'dot' }),
    );
    expect(evaluate('paint_line', 'line-color', strokeColor, styled)).toBe('rgba(220,38,38,1)');
    expect(evaluate('paint_line', 'line-width', strokeWidth(4), styled)).toBe(7.5);
    expect(evaluate('paint_line', 'line-opacity', strokeOpacity, styled)).toBe(0.4);
    expect(evaluate('paint_line', 'line-dasharray', strokeDasharray, styled)).toEqual([0, 2]);
    const plain = drawn(line({ 'marker-color': '#16a34a' }));
    expect(evaluate('paint_line', 'line-color', strokeColor, plain)).toBe('rgba(22,163,74,1)');
    expect(evaluate('paint_line', 'line-width', strokeWidth(4), plain)).toBe(4);
    expect(evaluate('paint_line', 'line-opacity', strokeOpacity, plain)).toBe(1);
    expect(evaluate('paint_line', 'line-dasharray', strokeDasharray, plain)).toEqual([1, 0]);
    expect(
      evaluate('paint_line', 'line-dasharray', strokeDasharray, drawn(line({ 'stroke-dash': 'dash' }))),
    ).toEqual([2.5, 1.8]);
  });

  it('fills an area in its fill colour and opacity (0.28 by default)', () => {
    const area = { fill: '#0ea5e9', 'fill-opacity': 0.65, color: '#000000' };
    expect(evaluate('paint_fill', 'fill-color', fillColor, area)).toBe('rgba(14,165,233,1)');
    expect(evaluate('paint_fill', 'fill-opacity', fillOpacity, area)).toBe(0.65);
    expect(evaluate('paint_fill', 'fill-opacity', fillOpacity, { color: '#000000' })).toBe(0.28);
  });

  it('labels with the title unless show-label is false', () => {
    const text = (properties: object) =>
      evaluate('layout_symbol', 'text-field', labelText, properties).toString();
    expect(text(drawn(point({ title: 'Café' })))).toBe('Café');
    expect(text(drawn(point({ title: 'Café', 'show-label': false })))).toBe('');
    expect(text(drawn(point({ title: 'Café', 'show-label': true })))).toBe('Café');
  });

  it('reads a default merged into the properties before rendering (a layer style) like the feature’s own', () => {
    const merged = { ...drawn(line({})), stroke: '#111111', 'stroke-width': 2 };
    expect(evaluate('paint_line', 'line-color', strokeColor, merged)).toBe('rgba(17,17,17,1)');
    expect(evaluate('paint_line', 'line-width', strokeWidth(4), merged)).toBe(2);
  });

  it('a feed entry keeps its layer colour whatever colours its feed gave it', () => {
    const entry = point({ layer: 'l-1', 'marker-color': '#ff0000', 'marker-symbol': 'star' });
    const properties = renderProperties(entry, new Map([['l-1', '#0000ff']]));
    expect(properties['marker-color']).toBeUndefined();
    expect(properties['marker-symbol']).toBe('star');
    expect(evaluate('paint_circle', 'circle-color', markerColor, properties)).toBe('rgba(0,0,255,1)');
  });
});

describe('the protocol validates the style keys the panel writes', () => {
  it('accepts the dashes and a boolean label, and refuses anything else', () => {
    for (const dash of ['solid', 'dash', 'dot'])
      expect(KnownProperties.safeParse({ 'stroke-dash': dash }).success).toBe(true);
    expect(KnownProperties.safeParse({ 'stroke-dash': 'dashed' }).success).toBe(false);
    expect(KnownProperties.safeParse({ 'show-label': false }).success).toBe(true);
    expect(KnownProperties.safeParse({ 'show-label': 0 }).success).toBe(false);
  });
});
