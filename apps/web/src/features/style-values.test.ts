import type { Feature } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { searchIcons } from '../icons/maki-catalog.ts';
import { fullHex, shownValue, styleSections } from './style-values.ts';

const at = (type: 'Point' | 'LineString' | 'Polygon', properties: Feature['properties'] = {}): Feature => {
  const geometry: Feature['geometry'] =
    type === 'Point'
      ? { type, coordinates: [0, 0] }
      : type === 'LineString'
        ? {
            type,
            coordinates: [
              [0, 0],
              [1, 1],
            ],
          }
        : {
            type,
            coordinates: [
              [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 0],
              ],
            ],
          };
  return { type: 'Feature', id: `${type}-${Math.random()}`, geometry, properties, version: 1 };
};

describe('the style panel', () => {
  it('offers what applies: marker controls for markers, stroke for lines, stroke and fill for areas', () => {
    expect(styleSections([at('Point')])).toEqual({ marker: true, stroke: false, fill: false });
    expect(styleSections([at('LineString')])).toEqual({ marker: false, stroke: true, fill: false });
    expect(styleSections([at('Polygon')])).toEqual({ marker: false, stroke: true, fill: true });
    expect(styleSections([at('Point'), at('Polygon')])).toEqual({ marker: true, stroke: true, fill: true });
  });

  it('shows the shared value, the default where a key is absent, and "mixed" where features differ', () => {
    expect(
      shownValue(
        [at('LineString', { 'stroke-width': 3 }), at('LineString', { 'stroke-width': 3 })],
        'stroke-width',
      ),
    ).toEqual({ value: 3, mixed: false });
    expect(shownValue([at('LineString')], 'stroke-width')).toEqual({ value: 4, mixed: false });
    expect(shownValue([at('Polygon')], 'stroke-width')).toEqual({ value: 2, mixed: false });
    expect(shownValue([at('LineString', { 'stroke-dash': 'dot' }), at('LineString')], 'stroke-dash')).toEqual(
      { value: 'dot', mixed: true },
    );
    expect(shownValue([at('Point', { 'show-label': false })], 'show-label')).toEqual({
      value: false,
      mixed: false,
    });
    expect(shownValue([at('Point')], 'show-label')).toEqual({ value: true, mixed: false });
  });

  it('gives colour inputs #rrggbb', () => {
    expect(fullHex('#F0a')).toBe('#ff00aa');
    expect(fullHex('#123456')).toBe('#123456');
  });

  it('finds icons by name or by the words people use', () => {
    expect(searchIcons('coffee').map((i) => i.name)).toEqual(['cafe']);
    expect(searchIcons('train').map((i) => i.name)).toContain('rail');
    expect(searchIcons('zzz')).toEqual([]);
    expect(searchIcons('').length).toBeGreaterThanOrEqual(40);
  });
});
