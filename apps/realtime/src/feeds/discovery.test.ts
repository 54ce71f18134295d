import { describe, expect, it } from 'vitest';
import { discover } from './discovery.ts';

describe('WebSub discovery', () => {
  it('reads hub and self from Link headers, resolving relative URLs', () => {
    const found = discover(
      'https://feeds.example/quakes',
      '</hub>; rel="hub", <https://feeds.example/quakes.atom>; rel="self"',
      '',
    );
    expect(found).toEqual({ hub: 'https://feeds.example/hub', self: 'https://feeds.example/quakes.atom' });
  });

  it('reads atom:link and link elements from the document when there is no header', () => {
    const atom = `<feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="https://hub.example/"/>
      <link rel="self" href="https://feeds.example/a?x=1&amp;y=2"/></feed>`;
    expect(discover('https://feeds.example/a', undefined, atom)).toEqual({
      hub: 'https://hub.example/',
      self: 'https://feeds.example/a?x=1&y=2',
    });
    const rss = '<rss><channel><atom:link rel="hub" href="https://hub.example/rss"/></channel></rss>';
    expect(discover('https://feeds.example/r', undefined, rss)).toEqual({
      hub: 'https://hub.example/rss',
      self: 'https://feeds.example/r',
    });
  });

  it('prefers the header, and finds no hub in a feed without one', () => {
    expect(
      discover(
        'https://f.example/',
        '<https://h1.example/>; rel="hub"',
        '<link rel="hub" href="https://h2.example/"/>',
      ).hub,
    ).toBe('https://h1.example/');
    expect(discover('https://f.example/', undefined, '<feed/>').hub).toBeNull();
  });
});
