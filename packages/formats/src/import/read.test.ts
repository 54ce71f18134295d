import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { fixtureFiles, worldAtlas } from '../testing/real-data.ts';
import { FormatError } from './candidate.ts';
import { readImport } from './read.ts';
import { validateCandidatesSync } from './validate.ts';

const domParser = DOMParser as never;

/** Read and validate, as the importer does. */
function importText(text: string, fileName?: string) {
  const outcome = readImport(text, { domParser, ...(fileName ? { fileName } : {}) });
  if (outcome.status !== 'read') throw new Error(`expected a read, got ${outcome.status}`);
  const validated = validateCandidatesSync(outcome.candidates);
  return { format: outcome.format, ...validated, skipped: [...outcome.problems, ...validated.skipped] };
}

describe('GeoJSON', () => {
  it.each(fixtureFiles())('keeps every geometry type, altitude and property of %s', (_name, text) => {
    const input = JSON.parse(text);
    const result = importText(text, 'x.geojson');
    expect(result.skipped).toEqual([]);
    const expected =
      input.type === 'FeatureCollection'
        ? input.features
        : [input.type === 'Feature' ? input : { geometry: input }];
    expect(result.features.map((f) => f.geometry)).toEqual(
      expected.map((f: { geometry: unknown }) => f.geometry),
    );
    result.features.forEach((f, i) => {
      expect(f.properties).toMatchObject(expected[i].properties ?? {});
    });
  });

  it('reads a bare geometry, a Feature, and names a bad feature by its index and id', () => {
    const text = JSON.stringify({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          id: 'ok',
          geometry: { type: 'Point', coordinates: [2.35, 48.85] },
          properties: { n: 1 },
        },
        {
          type: 'Feature',
          id: 'fr',
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 1],
              ],
            ],
          },
          properties: {},
        },
      ],
    });
    const result = importText(text);
    expect(result.features).toHaveLength(1);
    expect(result.skipped).toEqual([
      { where: 'feature 2 (id "fr")', message: 'has a ring that is not closed' },
    ]);
  });

  it('says where JSON is malformed and imports nothing', () => {
    expect(() => readImport('{"type":"Feature",\n "geometry": NaN}')).toThrow(
      /not valid JSON at line 2, column \d+/,
    );
  });

  it('refuses NaN-free but out-of-range, nested collections, prototype keys and huge values, naming each', () => {
    const point = { type: 'Point', coordinates: [0, 0] };
    const features = [
      { type: 'Feature', geometry: { type: 'Point', coordinates: [10, 123] }, properties: {} },
      {
        type: 'Feature',
        geometry: {
          type: 'GeometryCollection',
          geometries: [{ type: 'GeometryCollection', geometries: [point] }],
        },
        properties: {},
      },
      { type: 'Feature', geometry: point, properties: JSON.parse('{"__proto__":{"admin":true}}') },
      { type: 'Feature', geometry: point, properties: { blob: 'x'.repeat(10 * 1024 * 1024) } },
      { type: 'Feature', geometry: { type: 'Point', coordinates: ['a', 1] }, properties: {} },
      { type: 'Feature', geometry: { type: 'Circle', coordinates: [0, 0] }, properties: {} },
      { type: 'Feature', geometry: null, properties: {} },
    ];
    const result = importText(JSON.stringify({ type: 'FeatureCollection', features }));
    expect(result.features).toEqual([]);
    expect(result.skipped.map((p) => `${p.where} ${p.message}`)).toEqual([
      'feature 1 has latitude 123, out of range',
      'feature 2 has a GeometryCollection inside a GeometryCollection (they do not nest)',
      'feature 3 has property "__proto__" refused: property key "__proto__" is not allowed',
      'feature 4 has property "blob" refused: properties are at most 16384 bytes of JSON',
      'feature 5 has a longitude that is not a number ("a")',
      'feature 6 has geometry type "Circle", which is not GeoJSON',
      'feature 7 has no geometry',
    ]);
  });

  it('refuses a deep GeometryCollection without walking all of it', () => {
    const depth = 5000;
    const geometry = `${'{"type":"GeometryCollection","geometries":['.repeat(depth)}{"type":"Point","coordinates":[0,0]}${']}'.repeat(depth)}`;
    const result = importText(`{"type":"Feature","properties":{},"geometry":${geometry}}`);
    expect(result.features).toEqual([]);
    expect(result.skipped[0]?.message).toMatch(/GeometryCollection inside a GeometryCollection/);
  });

  it('takes a title from `name` when there is none (Meridian shows titles)', () => {
    const result = importText(
      JSON.stringify({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [1, 2] },
        properties: { name: 'Lyon' },
      }),
    );
    expect(result.features[0]?.properties).toEqual({ name: 'Lyon', title: 'Lyon' });
  });
});

describe('TopoJSON (Natural Earth from world-atlas)', () => {
  it('reads every object of countries-110m: France as one MultiPolygon with its islands, Fiji across ±180°', () => {
    const result = importText(worldAtlas('countries-110m.json'));
    expect(result.format).toBe('topojson');
    // The 177 countries import; the land object (all continents as one MultiPolygon, 200 KB) is
    // valid but larger than one message, and is named.
    expect(result.features).toHaveLength(177);
    expect(result.skipped).toEqual([
      { where: 'land: feature 1', message: expect.stringMatching(/^is too large to send: \d+ bytes/) },
    ]);
    const france = result.features.find((f) => f.properties.name === 'France');
    expect(france?.geometry.type).toBe('MultiPolygon');
    expect(france?.geometry.type === 'MultiPolygon' && france.geometry.coordinates.length).toBeGreaterThan(1);
    expect(france?.properties.title).toBe('France');
    const fiji = result.features.find((f) => f.properties.name === 'Fiji');
    const longitudes =
      fiji?.geometry.type === 'MultiPolygon'
        ? fiji.geometry.coordinates.flat(2).map((p) => p[0] as number)
        : [];
    expect(Math.min(...longitudes)).toBeLessThan(-179);
    expect(Math.max(...longitudes)).toBeGreaterThan(179);
  });

  it('reads countries-50m, and a country too large for one message is skipped by name, the rest imported', () => {
    const result = importText(worldAtlas('countries-50m.json'));
    expect(result.features.length + result.skipped.length).toBe(242);
    expect(result.features.length).toBeGreaterThan(200);
    for (const problem of result.skipped)
      expect(problem.message).toMatch(/too large to send|more than the 1000/);
    expect(result.skipped.map((p) => p.where)).toContain('countries: feature 76 (id "643")'); // Russia
    expect(result.features.find((f) => f.properties.name === 'France')?.geometry.type).toBe('MultiPolygon');
  });
});

describe('KML and GPX', () => {
  const kml = `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
  <Style id="red"><LineStyle><color>ff0000ff</color><width>3</width></LineStyle></Style>
  <Placemark><name>Summit</name><description>Top</description>
    <ExtendedData><Data name="height"><value>4808</value></Data></ExtendedData>
    <Point><coordinates>6.8652,45.8326,4808</coordinates></Point></Placemark>
  <Placemark><name>Route</name><styleUrl>#red</styleUrl>
    <LineString><coordinates>6.86,45.83 6.87,45.84</coordinates></LineString></Placemark>
  <Placemark><name>Lake</name><Polygon><outerBoundaryIs><LinearRing>
    <coordinates>6.0,46.0 6.1,46.0 6.1,46.1 6.0,46.0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Document></kml>`;

  it('reads placemarks with altitudes, extended data and line styles as simplestyle keys', () => {
    const result = importText(kml, 'trip.kml');
    expect(result.format).toBe('kml');
    expect(result.skipped).toEqual([]);
    expect(result.features.map((f) => f.geometry.type)).toEqual(['Point', 'LineString', 'Polygon']);
    expect(result.features[0]?.geometry).toEqual({ type: 'Point', coordinates: [6.8652, 45.8326, 4808] });
    expect(result.features[0]?.properties).toMatchObject({
      title: 'Summit',
      description: 'Top',
      height: '4808',
    });
    expect(result.features[1]?.properties).toMatchObject({ stroke: '#ff0000', 'stroke-width': 3 });
  });

  it('names the line of malformed XML and imports nothing', () => {
    expect(() =>
      readImport('<kml>\n<Placemark>\n<name>a</nam>\n</Placemark></kml>', { domParser, fileName: 'a.kml' }),
    ).toThrow(/not well-formed XML at line 3, column 7/);
    expect(() => readImport('<html><body/></html>', { domParser })).toThrow(/neither KML nor GPX/);
  });

  const trackGpx = (length: number) => {
    const points = Array.from(
      { length },
      (_, i) =>
        `<trkpt lat="${(45 + i * 1e-5).toFixed(5)}" lon="${(6 + i * 1e-5).toFixed(5)}"><ele>${1000 + (i % 50)}</ele><time>2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z</time></trkpt>`,
    );
    return `<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<wpt lat="45.9" lon="6.9"><name>Hut</name><ele>2400</ele></wpt>
<trk><name>Long day</name><trkseg>${points.join('')}</trkseg></trk></gpx>`;
  };

  it('reads GPX waypoints and tracks with elevations; per-point times are left out with a note', () => {
    const result = importText(trackGpx(2000), 'day.gpx');
    expect(result.format).toBe('gpx');
    expect(result.skipped).toEqual([]);
    const hut = result.features.find((f) => f.geometry.type === 'Point');
    const track = result.features.find((f) => f.geometry.type === 'LineString');
    expect(hut?.geometry).toEqual({ type: 'Point', coordinates: [6.9, 45.9, 2400] });
    expect(track?.geometry.type === 'LineString' && track.geometry.coordinates).toHaveLength(2000);
    expect(track?.geometry.type === 'LineString' && track.geometry.coordinates[1]).toEqual([
      6.00001, 45.00001, 1001,
    ]);
    expect(track?.properties.title).toBe('Long day');
    expect(track?.properties.coordinateProperties).toBeUndefined();
    expect(result.notes[0]).toMatch(/per-point values/);
  }, 60_000);

  it('a 20,000-point track is within the model but larger than one message: named, not imported', () => {
    const result = importText(trackGpx(20_000), 'day.gpx');
    expect(result.features.map((f) => f.geometry.type)).toEqual(['Point']);
    expect(result.skipped).toEqual([
      { where: 'GPX item 1 "Long day"', message: expect.stringMatching(/^is too large to send/) },
    ]);
    // Parsing 20,000 points with xmldom takes seconds on a busy 2-core machine.
  }, 60_000);
});

describe('CSV', () => {
  it('detects lat/lon columns, keeps other columns as properties, numbers as numbers, postcodes as text', () => {
    const csv =
      'Name,LAT,Lng,population,zip\nParis,48.8566,2.3522,2148000,75001\nLyon,45.764,4.8357,513000,06900\n';
    const result = importText(csv, 'cities.csv');
    expect(result.skipped).toEqual([]);
    expect(result.features).toEqual([
      {
        geometry: { type: 'Point', coordinates: [2.3522, 48.8566] },
        properties: { Name: 'Paris', population: 2148000, zip: 75001 },
      },
      {
        geometry: { type: 'Point', coordinates: [4.8357, 45.764] },
        properties: { Name: 'Lyon', population: 513000, zip: '06900' },
      },
    ]);
  });

  it('names the line of each bad row; the good rows import', () => {
    const csv = [
      'latitude;longitude;name',
      '10;20;a',
      '123;20;b',
      '"x";20;c',
      '',
      '5;"2',
      '0";d',
      '5;181;e',
    ].join('\n');
    const outcome = readImport(csv, { fileName: 'p.csv' });
    if (outcome.status !== 'read') throw new Error('not read');
    const validated = validateCandidatesSync(outcome.candidates);
    expect(validated.features).toHaveLength(1);
    expect(outcome.problems).toEqual([
      { where: 'line 3', message: 'latitude 123 is out of range (−90 to 90)' },
      { where: 'line 4', message: 'latitude "x" is not a number' },
      { where: 'line 6', message: 'longitude "2\\n0" is not a number' },
      { where: 'line 8', message: 'longitude 181 is out of range (−180 to 180)' },
    ]);
  });

  it('asks the person to choose when the columns are missing or ambiguous, then uses their choice', () => {
    const csv = 'where,lat,y,b\nhere,1,2,3\n';
    const outcome = readImport(csv);
    expect(outcome).toMatchObject({ status: 'choose-columns', header: ['where', 'lat', 'y', 'b'], rows: 1 });
    const unnamed = readImport('place;north;east\nAnnecy;45.9;6.1\n');
    expect(unnamed).toMatchObject({
      status: 'choose-columns',
      sample: ['Annecy', '45.9', '6.1'],
      guess: { latitude: 1, longitude: 2 },
    });
    const chosen = readImport(csv, { columns: { latitude: 2, longitude: 3 } });
    expect(chosen.status === 'read' && chosen.candidates[0]?.geometry).toEqual({
      type: 'Point',
      coordinates: [3, 2],
    });
  });

  it('a __proto__ column becomes an own key that validation refuses; nothing is imported', () => {
    const result = importText('lat,lon,__proto__\n1,2,x\n', 'a.csv');
    expect(result.features).toEqual([]);
    expect(result.skipped[0]?.message).toMatch(/"__proto__" is not allowed/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('a malformed CSV (an unterminated quote) is named by line; nothing of it is imported', () => {
    const outcome = readImport('lat,lon,name\n1,2,"never closed\n3,4,x\n', { fileName: 'bad.csv' });
    if (outcome.status !== 'read') throw new Error('not read');
    expect(outcome.candidates).toEqual([]);
    expect(outcome.problems).toEqual([{ where: 'line 2', message: expect.stringMatching(/quote/i) }]);
  });

  it('refuses a file without a usable header', () => {
    expect(() => readImport('justonecolumn\n1\n', { fileName: 'a.csv' })).toThrow(FormatError);
  });
});
