import { readFileSync } from 'node:fs';
import { Feature, LIMITS } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { entryFeatureId, FeedParseError, MAX_FEED_ENTRIES, parseFeed } from './parse-feed.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

function refusal(body: string | Buffer): FeedParseError {
  try {
    parseFeed(body, 'layer-1');
  } catch (error) {
    expect(error).toBeInstanceOf(FeedParseError);
    return error as FeedParseError;
  }
  throw new Error('parseFeed accepted a document it should refuse');
}

describe('parseFeed', () => {
  it('reads Atom with georss:point and georss:where/gml:pos, skipping entries without a usable point', () => {
    const feed = parseFeed(fixture('quakes.atom'), 'quakes', 'https://feeds.example/quakes.atom');
    expect(feed).toMatchObject({ format: 'atom', title: 'Earthquakes & tremors', skipped: 2, capped: 0 });
    expect(feed.entries).toEqual([
      {
        type: 'Feature',
        id: entryFeatureId('quakes', 'urn:quake:1'),
        geometry: { type: 'Point', coordinates: [4.84, 45.76] },
        properties: {
          layer: 'quakes',
          title: 'M 4.2 near Lyon',
          description: 'Depth 10 km & felt widely',
          url: 'https://feeds.example/events/1',
        },
        version: 0,
      },
      {
        type: 'Feature',
        id: entryFeatureId('quakes', 'urn:quake:2'),
        geometry: { type: 'Point', coordinates: [151.2, -33.9] },
        properties: { layer: 'quakes', title: 'M 3.1 off the coast' },
        version: 0,
      },
    ]);
  });

  it('reads RSS 2.0 with geo:lat/geo:long, geo:Point and georss:point; drops non-http links', () => {
    const feed = parseFeed(fixture('stations.rss'), 'bikes');
    expect(feed).toMatchObject({ format: 'rss', title: 'Bike stations', skipped: 0 });
    expect(feed.entries.map((f) => [f.id, f.geometry, f.properties])).toEqual([
      [
        entryFeatureId('bikes', 'station-17'),
        { type: 'Point', coordinates: [4.8597, 45.7606] },
        {
          layer: 'bikes',
          title: 'Gare Part-Dieu',
          description: '12 bikes & 3 docks',
          url: 'https://bikes.example/s/17?a=1&b=2',
        },
      ],
      // No guid: the link is the entry's identity.
      [
        entryFeatureId('bikes', 'https://bikes.example/s/18'),
        { type: 'Point', coordinates: [4.85, 45.75] },
        { layer: 'bikes', title: 'Link only', url: 'https://bikes.example/s/18' },
      ],
      [
        entryFeatureId('bikes', 'station-19'),
        { type: 'Point', coordinates: [4.1, 45.1] },
        { layer: 'bikes', title: 'Bad link' },
      ],
    ]);
  });

  it('reads a GeoJSON FeatureCollection of points, skipping other geometries and junk', () => {
    const feed = parseFeed(fixture('buoys.geojson'), 'buoys');
    expect(feed).toMatchObject({ format: 'geojson', title: 'Buoys', skipped: 4 });
    expect(
      feed.entries.map((f) => [
        f.id,
        'coordinates' in f.geometry ? f.geometry.coordinates : null,
        f.properties,
      ]),
    ).toEqual([
      [
        entryFeatureId('buoys', '42'),
        [-4.5, 48.4],
        {
          layer: 'buoys',
          title: 'Brest buoy',
          description: 'Wave height 2 m',
          url: 'https://buoys.example/42',
        },
      ],
      [entryFeatureId('buoys', 'belle-ile'), [-3.1, 47.5], { layer: 'buoys', title: 'Belle-Île' }],
    ]);
  });

  it('gives every entry a valid protocol feature whose id is stable per layer and entry', () => {
    for (const [name, layer] of [
      ['quakes.atom', 'a'],
      ['stations.rss', 'b'],
      ['buoys.geojson', 'c'],
    ] as const) {
      for (const feature of parseFeed(fixture(name), layer).entries) {
        expect(Feature.safeParse(feature).success, `${name} ${feature.id}`).toBe(true);
        expect(feature.id.length).toBeLessThanOrEqual(LIMITS.MAX_ID_CHARS);
      }
    }
    const id = entryFeatureId('quakes', 'x'.repeat(5000));
    expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(entryFeatureId('quakes', 'urn:quake:1')).toBe(entryFeatureId('quakes', 'urn:quake:1'));
    expect(entryFeatureId('quakes', 'urn:quake:1')).not.toBe(entryFeatureId('other', 'urn:quake:1'));
  });

  it('cuts long titles and descriptions to the protocol limits', () => {
    const long = 'word '.repeat(3000);
    const body = `<rss><channel><item><guid>1</guid><title>${long}</title><description>${long}</description>
      <georss:point xmlns:georss="http://www.georss.org/georss">1 2</georss:point></item></channel></rss>`;
    const [entry] = parseFeed(body, 'l').entries;
    expect(entry?.properties.title?.length).toBe(LIMITS.MAX_TITLE_CHARS);
    expect(entry?.properties.description?.length).toBeLessThanOrEqual(LIMITS.MAX_DESCRIPTION_CHARS);
    expect(entry?.properties.title?.endsWith('…')).toBe(true);
  });

  it(`keeps at most ${MAX_FEED_ENTRIES} entries and counts the rest`, () => {
    const features = Array.from({ length: MAX_FEED_ENTRIES + 7 }, (_, i) => ({
      type: 'Feature',
      id: `p${i}`,
      geometry: { type: 'Point', coordinates: [i / 100, 0] },
      properties: {},
    }));
    const feed = parseFeed(JSON.stringify({ type: 'FeatureCollection', features }), 'l');
    expect(feed.entries).toHaveLength(MAX_FEED_ENTRIES);
    expect(feed.capped).toBe(7);
  });

  it('refuses documents that declare entities (billion laughs, external entities) without expanding them', () => {
    const laughs = refusal(fixture('billion-laughs.xml'));
    expect(laughs.reason).toBe('entities');
    expect(laughs.message).toMatch(/entities/);
    expect(refusal(fixture('external-entity.xml')).reason).toBe('entities');
    // An undeclared reference is left as written, never resolved.
    const feed = parseFeed(
      '<rss><channel><item><guid>1</guid><title>&lol9; &xxe;</title><georss:point>1 1</georss:point></item></channel></rss>',
      'l',
    );
    expect(feed.entries[0]?.properties.title).toBe('&lol9; &xxe;');
  });

  it('turns bad XML, bad JSON and other documents into typed errors with words', () => {
    expect(refusal('<rss><channel><item></channel></rss>')).toMatchObject({ reason: 'bad-xml' });
    expect(refusal('<rss><channel><item></channel></rss>').message).toMatch(/bad XML at line 1/);
    expect(refusal('{"type": "FeatureCollection", "features": [')).toMatchObject({ reason: 'bad-json' });
    expect(refusal('{"type": "Feature"}').message).toMatch(/not a GeoJSON FeatureCollection/);
    expect(refusal('<html><body>hello</body></html>').message).toMatch(/<html>, not Atom or RSS/);
    expect(refusal('hello').reason).toBe('not-a-feed');
    expect(refusal('').reason).toBe('not-a-feed');
    expect(refusal(Buffer.from([0xff, 0xfe, 0x00, 0x3c])).reason).toBe('not-a-feed');
  });

  it('survives a pathologically deep document as a typed error', () => {
    const depth = 100_000;
    const deep = `<rss>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</rss>`;
    let outcome: unknown;
    try {
      outcome = parseFeed(deep, 'l');
    } catch (error) {
      outcome = error;
    }
    // Either read as a feed with no entries or refused as bad XML; never a crash.
    if (outcome instanceof Error) expect(outcome).toBeInstanceOf(FeedParseError);
    else expect(outcome).toMatchObject({ format: 'rss', entries: [] });
  });
});
