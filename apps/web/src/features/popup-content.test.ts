import type { Feature } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { linkify, MAX_POPUP_ROWS, popupContent, safeHref } from './popup-content.ts';

const feature = (properties: Feature['properties']): Feature => ({
  type: 'Feature',
  id: 'f1',
  geometry: { type: 'Point', coordinates: [0, 0] },
  properties,
  version: 1,
});

describe('popupContent', () => {
  it('shows the title, the description with its http(s) links, and the other properties, not the style keys', () => {
    const content = popupContent(
      feature({
        title: 'Café',
        description: 'Menu at https://example.org/menu. Open <b>now</b>',
        url: 'https://example.org/',
        'marker-color': '#ff0000',
        'stroke-dash': 'dot',
        opening: { mon: '8-18' },
        seats: 24,
        note: null,
      }),
    );
    expect(content.title).toBe('Café');
    expect(content.description).toEqual([
      { text: 'Menu at ' },
      { text: 'https://example.org/menu', href: 'https://example.org/menu' },
      { text: '. Open <b>now</b>' },
    ]);
    expect(content.link).toBe('https://example.org/');
    expect(content.rows).toEqual([
      { key: 'opening', value: [{ text: '{"mon":"8-18"}' }] },
      { key: 'seats', value: [{ text: '24' }] },
    ]);
    expect(content.more).toBe(0);
  });

  it('never makes a link of another scheme', () => {
    expect(linkify('javascript:alert(1) data:text/html,x')).toEqual([
      { text: 'javascript:alert(1) data:text/html,x' },
    ]);
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('http://[bad')).toBeNull();
    expect(safeHref('https://example.org/a b')).toBe('https://example.org/a%20b');
  });

  it('shows at most MAX_POPUP_ROWS properties and says how many more there are, with long values cut', () => {
    const many = Object.fromEntries(
      Array.from({ length: MAX_POPUP_ROWS + 5 }, (_, i) => [`k${i}`, 'x'.repeat(400)]),
    );
    const content = popupContent(feature(many));
    expect(content.rows).toHaveLength(MAX_POPUP_ROWS);
    expect(content.more).toBe(5);
    expect(content.rows[0]?.value[0]?.text.length).toBe(300);
  });
});
