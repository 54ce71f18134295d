import { type Candidate, FormatError, featureLabel, isRecord, type ReadResult } from './candidate.ts';

/** Line and column of a character offset, 1-based. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Where JSON.parse stopped: V8 says "at position N" for some errors, and for others only quotes
 * the text around the bad token (`Unexpected token 'N', ..."eometry": NaN}" is not valid JSON`),
 * which is found back in the text.
 */
function errorOffset(text: string, message: string): number | null {
  const position = /position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  if (/Unexpected end of JSON input/.test(message)) return text.length;
  const quoted = /Unexpected token '(.)', (?:\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON/.exec(message);
  if (!quoted?.[1] || !quoted[2]) return null;
  const at = text.indexOf(quoted[2]);
  return at < 0 ? null : at + quoted[2].indexOf(quoted[1]);
}

/** JSON.parse, with a failure said as "line 3, column 14: …" where the engine gives a position. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = errorOffset(text, message);
    const where = offset === null ? null : lineAndColumn(text, offset);
    const at = where ? ` at line ${where.line}, column ${where.column}` : '';
    throw new FormatError(`The file is not valid JSON${at}: ${message.replace(/\s*\(line \d+.*\)$/, '')}`);
  }
}

/**
 * Features of a GeoJSON object: a FeatureCollection, a Feature or a bare geometry. Geometries and
 * properties are passed on as they are (multi-geometries, collections, altitudes and every
 * property kept); validation decides what can be stored.
 */
export function readGeoJsonObject(data: unknown): ReadResult {
  if (!isRecord(data) || typeof data.type !== 'string')
    throw new FormatError('The file is not GeoJSON: it has no "type".');
  if (data.type === 'FeatureCollection') {
    if (!Array.isArray(data.features))
      throw new FormatError('The FeatureCollection has no "features" array.');
    const candidates: Candidate[] = [];
    const problems: ReadResult['problems'] = [];
    data.features.forEach((feature: unknown, index: number) => {
      const where = featureLabel(index, isRecord(feature) ? feature.id : undefined);
      if (!isRecord(feature) || feature.type !== 'Feature')
        problems.push({ where, message: 'is not a GeoJSON Feature' });
      else candidates.push({ geometry: feature.geometry, properties: feature.properties, where });
    });
    return { candidates, problems };
  }
  if (data.type === 'Feature')
    return {
      candidates: [{ geometry: data.geometry, properties: data.properties, where: featureLabel(0, data.id) }],
      problems: [],
    };
  return { candidates: [{ geometry: data, properties: {}, where: 'the geometry' }], problems: [] };
}

/** GeoJSON text (RFC 7946). */
export function readGeoJson(text: string): ReadResult {
  return readGeoJsonObject(parseJson(text));
}
