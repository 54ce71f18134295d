import { FormatError, type ReadResult } from './candidate.ts';
import { type CsvColumns, csvCandidates, detectColumns, parseCsv } from './csv.ts';
import { parseJson, readGeoJsonObject } from './geojson.ts';
import { isTopology, readTopology } from './topojson.ts';
import { type DomParserConstructor, readXml } from './xml.ts';

export type ImportFormat = 'geojson' | 'topojson' | 'kml' | 'gpx' | 'csv';

export const FORMAT_NAMES: Record<ImportFormat, string> = {
  geojson: 'GeoJSON',
  topojson: 'TopoJSON',
  kml: 'KML',
  gpx: 'GPX',
  csv: 'CSV',
};

/** File extensions the importer takes (for a file input's `accept`). */
export const IMPORT_EXTENSIONS = ['.geojson', '.json', '.topojson', '.kml', '.gpx', '.csv', '.tsv', '.txt'];

type Family = 'json' | 'xml' | 'csv';

/** Which reader a file needs: by its extension when it has a known one, else by its first character. */
export function detectFamily(text: string, fileName = ''): Family {
  const extension = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  if (extension === 'kmz')
    throw new FormatError('KMZ files are zipped KML: unzip it and import the .kml inside.');
  if (extension === 'geojson' || extension === 'json' || extension === 'topojson') return 'json';
  if (extension === 'kml' || extension === 'gpx') return 'xml';
  if (extension === 'csv' || extension === 'tsv') return 'csv';
  const first = /\S/.exec(text.replace(/^\uFEFF/, ''))?.[0];
  if (first === '{' || first === '[') return 'json';
  if (first === '<') return 'xml';
  if (first === undefined) throw new FormatError('The file is empty.');
  return 'csv';
}

export interface ReadOptions {
  fileName?: string;
  /** Needed for KML and GPX: the browser's DOMParser, or @xmldom/xmldom's in Node. */
  domParser?: DomParserConstructor;
  /** For CSV: the coordinate columns the person chose (else they are detected). */
  columns?: CsvColumns;
}

/** A file read into candidate features, or a CSV whose coordinate columns the person must choose. */
export type ReadOutcome =
  | ({ status: 'read'; format: ImportFormat } & ReadResult)
  | {
      status: 'choose-columns';
      format: 'csv';
      header: string[];
      rows: number;
      /** The first data row, to show next to each column's name. */
      sample: string[];
      guess: Partial<CsvColumns>;
    };

/**
 * A starting point for the person's choice: columns whose names hint at it, else the first column
 * whose first value could be a latitude and the next numeric one after it.
 */
export function guessColumns(header: readonly string[], sample: readonly string[]): Partial<CsvColumns> {
  const lower = header.map((h) => h.toLowerCase());
  const numeric = sample.flatMap((cell, i) =>
    cell.trim() !== '' && Number.isFinite(Number(cell)) ? [i] : [],
  );
  let latitude = lower.findIndex((h) => h.includes('lat'));
  let longitude = lower.findIndex((h) => h.includes('lon') || h.includes('lng'));
  if (latitude < 0)
    latitude = numeric.find((i) => i !== longitude && Math.abs(Number(sample[i])) <= 90) ?? -1;
  if (longitude < 0) longitude = numeric.find((i) => i !== latitude && i > latitude) ?? -1;
  return { ...(latitude >= 0 ? { latitude } : {}), ...(longitude >= 0 ? { longitude } : {}) };
}

/**
 * Read a file's text into candidate features (detect → parse). Throws FormatError, with a message
 * for the person, when the file cannot be read at all.
 */
export function readImport(text: string, options: ReadOptions = {}): ReadOutcome {
  const family = detectFamily(text, options.fileName);
  if (family === 'json') {
    const data = parseJson(text);
    if (isTopology(data)) return { status: 'read', format: 'topojson', ...readTopology(data) };
    return { status: 'read', format: 'geojson', ...readGeoJsonObject(data) };
  }
  if (family === 'xml') {
    if (!options.domParser) throw new FormatError('KML and GPX need an XML parser here.');
    const { format, ...result } = readXml(text, options.domParser);
    return { status: 'read', format, ...result };
  }
  const table = parseCsv(text);
  const columns = options.columns ?? detectColumns(table.header);
  if (!columns) {
    const sample = table.rows[0]?.cells ?? [];
    return {
      status: 'choose-columns',
      format: 'csv',
      header: table.header,
      rows: table.rows.length,
      sample,
      guess: guessColumns(table.header, sample),
    };
  }
  if (columns.latitude === columns.longitude)
    throw new FormatError('Latitude and longitude must be two different columns.');
  return { status: 'read', format: 'csv', ...csvCandidates(table, columns) };
}
