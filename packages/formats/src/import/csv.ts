import Papa from 'papaparse';
import { type Candidate, FormatError, type ImportProblem, type ReadResult } from './candidate.ts';

/** Which columns hold the coordinates (indexes into the header row). */
export interface CsvColumns {
  latitude: number;
  longitude: number;
}

const LATITUDE_NAMES = new Set(['lat', 'latitude', 'y']);
const LONGITUDE_NAMES = new Set(['lon', 'lng', 'long', 'longitude', 'x']);

/** A parsed CSV: the header, the data rows and the line each row starts on (1-based). */
export interface CsvTable {
  header: string[];
  rows: { cells: string[]; line: number }[];
  problems: ImportProblem[];
}

/** Parse CSV text (delimiter guessed by papaparse: comma, semicolon, tab...). */
export function parseCsv(text: string): CsvTable {
  // Rows are arrays, not papaparse's header objects: a column named `__proto__` must become an
  // own key that validation refuses, never an assignment to a prototype.
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: 'greedy' });
  const [header, ...data] = parsed.data;
  if (!header || header.length < 2)
    throw new FormatError('The CSV file has no header row with at least two columns.');
  const problems: ImportProblem[] = [];
  // papaparse reports row indexes; a row's line is counted from the text so quoted line breaks
  // inside a cell do not shift the numbers people see.
  const lines = lineOfEachRow(text, parsed.data.length);
  for (const error of parsed.errors) {
    const row = error.row ?? 0;
    problems.push({ where: `line ${lines[row] ?? row + 1}`, message: error.message });
  }
  const badRows = new Set(parsed.errors.map((e) => e.row));
  const rows = data
    .map((cells, i) => ({ cells, line: lines[i + 1] ?? i + 2, bad: badRows.has(i + 1) }))
    .filter((row) => !row.bad)
    .map(({ cells, line }) => ({ cells, line }));
  return { header: header.map((h) => h.trim()), rows, problems };
}

/** The line on which each CSV record starts, honouring quoted line breaks and blank lines. */
function lineOfEachRow(text: string, count: number): number[] {
  const lines: number[] = [];
  let line = 1;
  let quoted = false;
  let rowStarted = false;
  for (let i = 0; i < text.length && lines.length < count; i++) {
    const c = text[i];
    if (!rowStarted && c !== '\n' && c !== '\r') {
      lines.push(line);
      rowStarted = true;
    }
    if (c === '"') quoted = !quoted;
    else if (c === '\n') {
      line++;
      if (!quoted) rowStarted = false;
    }
  }
  return lines;
}

/**
 * The latitude and longitude columns when the header names them without doubt (case-insensitive:
 * lat/latitude/y, lon/lng/long/longitude/x); null when either is missing or ambiguous (both `lat`
 * and `y`), so the person chooses.
 */
export function detectColumns(header: readonly string[]): CsvColumns | null {
  const find = (names: Set<string>) => {
    const found = header.flatMap((h, i) => (names.has(h.trim().toLowerCase()) ? [i] : []));
    return found.length === 1 ? found[0] : undefined;
  };
  const latitude = find(LATITUDE_NAMES);
  const longitude = find(LONGITUDE_NAMES);
  return latitude !== undefined && longitude !== undefined ? { latitude, longitude } : null;
}

// JSON's number grammar: "01234" (a postcode) or "1e" stay text, "12.5" and "-3" become numbers.
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A cell as a property value: numbers stay numbers, `true`/`false` booleans, the rest text. */
export function cellValue(cell: string): string | number | boolean {
  const trimmed = cell.trim();
  if (NUMBER.test(trimmed)) return Number(trimmed);
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  return cell;
}

function coordinate(cell: string | undefined): number | null {
  const trimmed = (cell ?? '').trim();
  return NUMBER.test(trimmed) || /^-?\d*\.\d+$/.test(trimmed) ? Number(trimmed) : null;
}

/**
 * One Point per row at (longitude, latitude); every other column becomes a property. Ranges are
 * checked here so the message names the row and the value ("row 40: latitude 123 is out of range").
 */
export function csvCandidates(table: CsvTable, columns: CsvColumns): ReadResult {
  const { header } = table;
  const latName = header[columns.latitude] ?? 'latitude';
  const lonName = header[columns.longitude] ?? 'longitude';
  const candidates: Candidate[] = [];
  const problems = [...table.problems];
  for (const { cells, line } of table.rows) {
    const where = `line ${line}`;
    const lat = coordinate(cells[columns.latitude]);
    const lon = coordinate(cells[columns.longitude]);
    if (lat === null) {
      problems.push({
        where,
        message: `${latName} ${JSON.stringify(cells[columns.latitude] ?? '')} is not a number`,
      });
      continue;
    }
    if (lon === null) {
      problems.push({
        where,
        message: `${lonName} ${JSON.stringify(cells[columns.longitude] ?? '')} is not a number`,
      });
      continue;
    }
    if (lat < -90 || lat > 90) {
      problems.push({ where, message: `latitude ${lat} is out of range (−90 to 90)` });
      continue;
    }
    if (lon < -180 || lon > 180) {
      problems.push({ where, message: `longitude ${lon} is out of range (−180 to 180)` });
      continue;
    }
    const properties = Object.fromEntries(
      header.flatMap((name, i) =>
        i === columns.latitude ||
        i === columns.longitude ||
        name === '' ||
        cells[i] === undefined ||
        cells[i] === ''
          ? []
          : [[name, cellValue(cells[i] as string)]],
      ),
    );
    candidates.push({ geometry: { type: 'Point', coordinates: [lon, lat] }, properties, where });
  }
  return { candidates, problems };
}
