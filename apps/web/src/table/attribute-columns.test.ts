import type { Feature } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { attributeColumns, cellPatch, cellText, parseCell } from './attribute-columns.ts';

const feature = (id: string, properties: Feature['properties']): Feature => ({
  type: 'Feature',
  id,
  geometry: { type: 'Point', coordinates: [0, 0] },
  properties,
  version: 1,
});

describe('attributeColumns', () => {
  it('is the union of the keys: title and description first, commoner keys next, style last', () => {
    const features = [
      feature('a', { 'marker-color': '#ff0000', name: 'A', pop: 1, title: 'A' }),
      feature('b', { pop: 2, iso: 'FR', description: 'Bee' }),
      feature('c', { pop: 3, iso: 'DE', layer: 'feed-1' }),
    ];
    expect(attributeColumns(features)).toEqual({
      columns: ['title', 'description', 'pop', 'iso', 'name', 'marker-color'],
      hidden: 0,
    });
  });

  it('caps the columns and counts the rest', () => {
    const wide = feature('w', Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i])));
    const { columns, hidden } = attributeColumns([wide], 40);
    expect(columns).toHaveLength(40);
    expect(hidden).toBe(20);
  });
});

describe('cells', () => {
  it('shows values as text', () => {
    expect(cellText('Paris')).toBe('Paris');
    expect(cellText(2.5)).toBe('2.5');
    expect(cellText(false)).toBe('false');
    expect(cellText({ mon: '8-18' })).toBe('{"mon":"8-18"}');
    expect(cellText(undefined)).toBe('');
    expect(cellText(null)).toBe('');
  });

  it('keeps the kind of value a cell had', () => {
    expect(parseCell('42', 7)).toBe(42);
    expect(parseCell('4.20', 7)).toBe(4.2);
    expect(parseCell('forty', 7)).toBe('forty');
    expect(parseCell('42', 'x')).toBe('42');
    expect(parseCell('true', false)).toBe(true);
    expect(parseCell('[1,2]', [1])).toEqual([1, 2]);
    expect(parseCell('{broken', { a: 1 })).toBe('{broken');
    // A new value: a number when it reads back the same, else text (zip codes keep their zero).
    expect(parseCell('12', undefined)).toBe(12);
    expect(parseCell('01234', undefined)).toBe('01234');
    expect(parseCell('  ', 'x')).toBeNull();
  });

  it('makes a patch for one key, or says what is wrong with the value', () => {
    expect(cellPatch('households', '12', 11)).toEqual({ patch: { households: 12 } });
    expect(cellPatch('title', '', 'Old')).toEqual({ patch: { title: null } });
    expect(cellPatch('marker-color', 'reddish', '#ff0000')).toMatchObject({
      problem: expect.stringContaining('marker-color'),
    });
    expect(cellPatch('fill-opacity', '3', 0.5)).toHaveProperty('problem');
  });
});
