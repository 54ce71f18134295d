import { gpx, kml } from '@tmcw/togeojson';
import type { Geometry, LineString, Point, Polygon } from 'geojson';
import { FormatError, type ReadResult } from './candidate.ts';

/** The DOMParser to use: the browser's (`window.DOMParser`) or, in Node, `@xmldom/xmldom`'s. */
export type DomParserConstructor = new () => { parseFromString(text: string, type: string): unknown };

export type XmlFormat = 'kml' | 'gpx';

/** What is used of a parsed document (typed here so Node packages without the DOM lib compile). */
interface XmlDocument {
  documentElement: { localName?: string | null; nodeName: string } | null;
  getElementsByTagName(name: string): ArrayLike<{ textContent: string | null }>;
}

/**
 * Parse XML text, failing with the parser's own message and its line: xmldom throws a ParseError
 * with a locator, the browser returns a document holding a <parsererror> whose text says
 * "error on line 3 at column 7: …".
 */
function parseXml(text: string, Parser: DomParserConstructor): XmlDocument {
  let doc: XmlDocument;
  try {
    doc = new Parser().parseFromString(text, 'text/xml') as XmlDocument;
  } catch (error) {
    const locator = (error as { locator?: { lineNumber?: number; columnNumber?: number } }).locator;
    const at = locator?.lineNumber
      ? ` at line ${locator.lineNumber}, column ${locator.columnNumber ?? 1}`
      : '';
    throw new FormatError(`The file is not well-formed XML${at}: ${(error as Error).message}`);
  }
  const parserError = doc.getElementsByTagName('parsererror')[0];
  if (parserError) {
    const said = parserError.textContent ?? '';
    const match = /line (\d+) at column (\d+): ([^\n]*)/.exec(said);
    throw new FormatError(
      match
        ? `The file is not well-formed XML at line ${match[1]}, column ${match[2]}: ${match[3]?.trim()}`
        : `The file is not well-formed XML: ${said.trim().slice(0, 200)}`,
    );
  }
  return doc;
}

/** The root element's name says which XML format a document is (`kml`, `gpx`), or null. */
export function xmlFormatOf(doc: XmlDocument): XmlFormat | null {
  const root = doc.documentElement?.localName?.toLowerCase() ?? doc.documentElement?.nodeName?.toLowerCase();
  return root === 'kml' || root === 'gpx' ? root : null;
}

const MULTI = { Point: 'MultiPoint', LineString: 'MultiLineString', Polygon: 'MultiPolygon' } as const;

/**
 * KML has no MultiPolygon, MultiLineString or MultiPoint: it writes them as a MultiGeometry, which
 * togeojson reads as a GeometryCollection. One whose members are all of one simple type is read
 * back as that multi-geometry, so GeoJSON → KML → GeoJSON keeps a country a MultiPolygon.
 */
function multiFromMultiGeometry(geometry: Geometry): Geometry {
  if (geometry.type !== 'GeometryCollection' || geometry.geometries.length === 0) return geometry;
  const [first] = geometry.geometries;
  const type = first?.type;
  if (!(type === 'Point' || type === 'LineString' || type === 'Polygon')) return geometry;
  if (!geometry.geometries.every((g) => g.type === type)) return geometry;
  return {
    type: MULTI[type],
    coordinates: geometry.geometries.map((g) => (g as Point | LineString | Polygon).coordinates),
  } as Geometry;
}

const NUMERIC_STYLE_KEYS = ['stroke-width', 'stroke-opacity', 'fill-opacity'] as const;

/**
 * KML's ExtendedData is text, so simplestyle numbers written there (by this app's KML export, or
 * others') come back as "3"; they are numbers again, as the model wants. Other values stay text.
 */
function typedStyle(properties: Record<string, unknown>): Record<string, unknown> {
  const typed = { ...properties };
  for (const key of NUMERIC_STYLE_KEYS) {
    const value = typed[key];
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
      typed[key] = Number(value);
  }
  return typed;
}

/**
 * KML placemarks or GPX waypoints, routes and tracks, converted by @tmcw/togeojson (every
 * property it reads kept: name, description, styles as simplestyle keys, times). GPX per-point
 * data (`coordinateProperties`: a time per point of a 20,000-point track) cannot fit a feature's
 * bounded properties, so it is left out when it would not fit, and a note says so.
 */
export function readXml(text: string, Parser: DomParserConstructor): ReadResult & { format: XmlFormat } {
  const doc = parseXml(text, Parser);
  const format = xmlFormatOf(doc);
  if (!format)
    throw new FormatError(
      `The XML file is neither KML nor GPX (its root element is <${doc.documentElement?.nodeName ?? '?'}>).`,
    );
  // Either the browser's Document or xmldom's: togeojson reads both.
  const converted = format === 'kml' ? kml(doc as never) : gpx(doc as never);
  const noun = format === 'kml' ? 'placemark' : 'GPX item';
  const result: ReadResult & { format: XmlFormat } = { format, candidates: [], problems: [], notes: [] };
  converted.features.forEach((f, index) => {
    const name = typeof f.properties?.name === 'string' ? ` "${f.properties.name}"` : '';
    const where = `${noun} ${index + 1}${name}`;
    if (!f.geometry) {
      result.problems.push({ where, message: 'has no geometry' });
      return;
    }
    const geometry = format === 'kml' ? multiFromMultiGeometry(f.geometry) : f.geometry;
    result.candidates.push({ geometry, properties: typedStyle(f.properties ?? {}), where });
  });
  return result;
}
