import { createHash } from 'node:crypto';
import { type Feature, KnownProperties, LIMITS, PointGeometry } from '@meridian/protocol';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';

/** Entries kept from one feed document (newest first, as feeds list them); the rest are counted. */
export const MAX_FEED_ENTRIES = 500;

export type FeedFormat = 'atom' | 'rss' | 'geojson';

export interface ParsedFeed {
  format: FeedFormat;
  /** The feed's own title, if it has one. */
  title: string | undefined;
  /** Entries with a point, as features of the layer (ids derived from the layer and the entry). */
  entries: Feature[];
  /** Entries left out because they had no usable point. */
  skipped: number;
  /** Entries past MAX_FEED_ENTRIES. */
  capped: number;
}

/** Why a document is not a feed we can read, in words fit for a layer's status line. */
export class FeedParseError extends Error {
  override name = 'FeedParseError';
  constructor(
    readonly reason: 'bad-json' | 'bad-xml' | 'entities' | 'not-a-feed',
    message: string,
  ) {
    super(message);
  }
}

/**
 * A feature id for a feed entry: the same entry of the same layer always gets the same id, so a
 * redelivered or edited entry replaces its feature instead of adding one. A hash keeps it within
 * the protocol's id alphabet and length whatever the entry's id looks like.
 */
export function entryFeatureId(layerId: string, entryKey: string): string {
  const digest = createHash('sha256').update(layerId).update('\n').update(entryKey).digest('base64url');
  return `fe-${digest.slice(0, 32)}`;
}

/** What the parsers pull out of one entry, before it becomes a feature. */
interface RawEntry {
  key: string | undefined;
  title: string | undefined;
  description: string | undefined;
  url: string | undefined;
  /** [lng, lat] */
  position: [number, number] | undefined;
}

// ---------------------------------------------------------------- text clean-up

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

/**
 * Decode the predefined entities and character references. The XML parser is run with entity
 * processing off (no DOCTYPE entity is ever expanded), so this is the only decoding there is.
 */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});/g, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
        ? String.fromCodePoint(code)
        : '';
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * Feed titles and descriptions are often HTML (escaped or in CDATA). Features hold plain text:
 * decode, drop tags, decode what the HTML itself escaped, collapse whitespace, cut to `max`.
 */
function plainText(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const text = decodeEntities(decodeEntities(value).replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
  if (!text) return undefined;
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

const HttpUrl = KnownProperties.shape.url.unwrap();

function cleanUrl(value: string | undefined, base: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(decodeEntities(value.trim()), base).toString();
    return HttpUrl.safeParse(url).success ? url : undefined;
  } catch {
    return undefined;
  }
}

function toFeature(layerId: string, raw: RawEntry, base: string | undefined): Feature | null {
  if (!raw.position) return null;
  const geometry = { type: 'Point' as const, coordinates: raw.position };
  if (!PointGeometry.safeParse(geometry).success) return null;
  const title = plainText(raw.title, LIMITS.MAX_TITLE_CHARS);
  const description = plainText(raw.description, LIMITS.MAX_DESCRIPTION_CHARS);
  const url = cleanUrl(raw.url, base);
  // Without an id, guid or link the entry's content is its identity: the same content updates in place.
  const key = raw.key?.trim() || url || `content:${title ?? ''}@${raw.position.join(',')}`;
  const properties: Feature['properties'] = { layer: layerId };
  if (title) properties.title = title;
  if (description) properties.description = description;
  if (url) properties.url = url;
  return { type: 'Feature', id: entryFeatureId(layerId, key), geometry, properties, version: 0 };
}

// ---------------------------------------------------------------- XML: Atom, RSS 2.0, RSS 1.0

type Node = Record<string, unknown>;

const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asArray = (value: unknown): unknown[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];

/** The text of an element, whether the parser gave a string or `{ '#text': …, '@_attr': … }`. */
function text(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first;
  if (typeof first === 'number') return String(first);
  if (isNode(first)) return text(first['#text']);
  return undefined;
}

function number(value: unknown): number | undefined {
  const raw = text(value);
  if (raw === undefined || raw.trim() === '') return undefined;
  const parsed = Number(raw.trim());
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** GeoRSS writes "lat lon" (georss:point, gml:pos); GeoJSON and features use [lon, lat]. */
function latLon(value: unknown): [number, number] | undefined {
  const parts = text(value)
    ?.trim()
    .split(/[\s,]+/);
  if (!parts || parts.length < 2) return undefined;
  const lat = Number(parts[0]);
  const lng = Number(parts[1]);
  return Number.isFinite(lat) && Number.isFinite(lng) ? [lng, lat] : undefined;
}

/** `georss:point`, `geo:lat`/`geo:long` (also inside `geo:Point`), `georss:where/gml:Point/gml:pos`. */
function position(entry: Node): [number, number] | undefined {
  const point = latLon(entry.point);
  if (point) return point;
  for (const holder of [entry, ...asArray(entry.Point).filter(isNode)]) {
    const lat = number(holder.lat);
    const lng = number(holder.long ?? holder.lon);
    if (lat !== undefined && lng !== undefined) return [lng, lat];
  }
  for (const where of asArray(entry.where).filter(isNode)) {
    for (const gmlPoint of asArray(where.Point).filter(isNode)) {
      const pos = latLon(gmlPoint.pos);
      if (pos) return pos;
    }
  }
  return undefined;
}

/** Atom's `<link rel="alternate" href>` (rel absent means alternate) or RSS's `<link>text</link>`. */
function entryLink(entry: Node): string | undefined {
  for (const link of asArray(entry.link)) {
    if (typeof link === 'string') return link;
    if (isNode(link)) {
      const rel = typeof link['@_rel'] === 'string' ? link['@_rel'] : 'alternate';
      if (rel === 'alternate' && typeof link['@_href'] === 'string') return link['@_href'];
      const inner = text(link);
      if (inner && !('@_href' in link)) return inner;
    }
  }
  return undefined;
}

function atomEntry(entry: Node): RawEntry {
  return {
    key: text(entry.id),
    title: text(entry.title),
    description: text(entry.summary) ?? text(entry.content),
    url: entryLink(entry),
    position: position(entry),
  };
}

function rssItem(item: Node): RawEntry {
  return {
    key: text(item.guid) ?? text(item.about ?? item['@_about']),
    title: text(item.title),
    description: text(item.description) ?? text(item.encoded),
    url: entryLink(item),
    position: position(item),
  };
}

const xmlParser = new XMLParser({
  // Entities stay as written: nothing a DOCTYPE declares is ever expanded (decodeEntities handles
  // the predefined ones). Namespace prefixes vary between feeds; local names are what matter here.
  processEntities: false,
  htmlEntities: false,
  ignoreAttributes: false,
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

function parseXml(body: string): { format: FeedFormat; title: string | undefined; raws: RawEntry[] } {
  // Internal DTD entities serve no purpose in a feed and are the lever of expansion attacks
  // ("billion laughs", external entities): refuse the document rather than parse around them.
  if (/<!ENTITY/i.test(body)) {
    throw new FeedParseError('entities', 'not a feed: the document declares XML entities, which are refused');
  }
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new FeedParseError('bad-xml', `not a feed: bad XML at line ${valid.err.line} (${valid.err.msg})`);
  }
  let document: unknown;
  try {
    document = xmlParser.parse(body);
  } catch (error) {
    // A pathologically deep document can exhaust the stack; it is still just a bad feed.
    throw new FeedParseError(
      'bad-xml',
      `not a feed: the XML could not be read (${(error as Error).message})`,
    );
  }
  if (!isNode(document)) throw new FeedParseError('not-a-feed', 'not a feed: the document is empty');
  if (isNode(document.feed)) {
    const feed = document.feed;
    return {
      format: 'atom',
      title: text(feed.title),
      raws: asArray(feed.entry).filter(isNode).map(atomEntry),
    };
  }
  if (isNode(document.rss)) {
    const channel = asArray(document.rss.channel).find(isNode) ?? {};
    return {
      format: 'rss',
      title: text(channel.title),
      raws: asArray(channel.item).filter(isNode).map(rssItem),
    };
  }
  if (isNode(document.RDF)) {
    const rdf = document.RDF;
    const channel = asArray(rdf.channel).find(isNode) ?? {};
    return { format: 'rss', title: text(channel.title), raws: asArray(rdf.item).filter(isNode).map(rssItem) };
  }
  const root = Object.keys(document)[0] ?? 'nothing';
  throw new FeedParseError('not-a-feed', `not a feed: an XML document with <${root}>, not Atom or RSS`);
}

// ---------------------------------------------------------------- GeoJSON

const GeoJsonCollection = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(z.unknown()),
});

const GeoJsonFeature = z.object({
  type: z.literal('Feature'),
  id: z.union([z.string(), z.number()]).optional(),
  geometry: z.unknown(),
  properties: z.record(z.string(), z.unknown()).nullable().optional(),
});

const str = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

function geoJsonEntry(raw: unknown): RawEntry | null {
  const parsed = GeoJsonFeature.safeParse(raw);
  if (!parsed.success) return null;
  const { id, geometry } = parsed.data;
  const properties = parsed.data.properties ?? {};
  const point = PointGeometry.safeParse(geometry);
  return {
    key: str(id) ?? str(properties.id),
    title: str(properties.title) ?? str(properties.name),
    description: str(properties.description),
    url: str(properties.url) ?? str(properties.link),
    position: point.success ? [point.data.coordinates[0], point.data.coordinates[1]] : undefined,
  };
}

function parseGeoJson(body: string): { format: FeedFormat; title: string | undefined; raws: RawEntry[] } {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch (error) {
    throw new FeedParseError('bad-json', `not a feed: bad JSON (${(error as Error).message})`);
  }
  const collection = GeoJsonCollection.safeParse(document);
  if (!collection.success) {
    throw new FeedParseError('not-a-feed', 'not a feed: JSON that is not a GeoJSON FeatureCollection');
  }
  const name = isNode(document) ? (str(document.name) ?? str(document.title)) : undefined;
  // A feature that is not even a Feature counts as skipped, like one without a point.
  const raws = collection.data.features.map(
    (feature) =>
      geoJsonEntry(feature) ?? {
        key: undefined,
        title: undefined,
        description: undefined,
        url: undefined,
        position: undefined,
      },
  );
  return { format: 'geojson', title: name, raws };
}

// ---------------------------------------------------------------- entry point

/**
 * Read a feed document (Atom or RSS with GeoRSS points, or a GeoJSON FeatureCollection of points)
 * into features of layer `layerId`. `baseUrl` resolves relative links. Throws a FeedParseError
 * for anything that is not such a feed; entries without a point are skipped and counted.
 */
export function parseFeed(body: Buffer | string, layerId: string, baseUrl?: string): ParsedFeed {
  const textBody = (typeof body === 'string' ? body : body.toString('utf8')).replace(/^\uFEFF/, '');
  const start = textBody.trimStart()[0];
  let parsed: { format: FeedFormat; title: string | undefined; raws: RawEntry[] };
  if (start === '{' || start === '[') parsed = parseGeoJson(textBody);
  else if (start === '<') parsed = parseXml(textBody);
  else throw new FeedParseError('not-a-feed', 'not a feed: neither XML (Atom, RSS) nor GeoJSON');

  const entries: Feature[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  let capped = 0;
  for (const raw of parsed.raws) {
    const feature = toFeature(layerId, raw, baseUrl);
    if (!feature) {
      skipped++;
      continue;
    }
    if (seen.has(feature.id)) continue;
    if (entries.length >= MAX_FEED_ENTRIES) {
      capped++;
      continue;
    }
    seen.add(feature.id);
    entries.push(feature);
  }
  return {
    format: parsed.format,
    title: plainText(parsed.title, LIMITS.MAX_NAME_CHARS),
    entries,
    skipped,
    capped,
  };
}
