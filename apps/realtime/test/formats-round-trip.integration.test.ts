/// <reference path="../../../packages/formats/src/types/geojson-rewind.d.ts" />
import rewind from '@mapbox/geojson-rewind';
import { type Database, openDatabase } from '@meridian/db';
import {
  exportGeoJson,
  exportKml,
  type ImportedFeature,
  readImport,
  validateCandidatesSync,
} from '@meridian/formats';
import { fixtureFiles, worldAtlas } from '@meridian/formats/testing';
import type { Feature, Geometry } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { DOMParser } from '@xmldom/xmldom';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../src/bus/memory-bus.ts';
import { createClusterStorage, createDataDir } from './databases.ts';
import { createMapVia, openClient, startClusterNode, startNode, type TestNode, tokenVia } from './harness.ts';

// The round trip: every geometry type and property kind, from real files (geojson-fixtures,
// Natural Earth's countries from world-atlas) and from KML, GPX and CSV texts, through the web
// app's import code → the client's bulk import → a real node → Postgres and PGlite → a restarted
// node's snapshot (read back from the database) → a second client → the web app's export, equal
// after normalisation (ids are the map's, outer rings counter-clockwise).

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const KML = `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
  <Style id="red"><LineStyle><color>ff0000ff</color><width>3</width></LineStyle><PolyStyle><color>7f00ff00</color></PolyStyle></Style>
  <Placemark><name>Summit</name><description>Mont Blanc</description>
    <ExtendedData><Data name="height"><value>4808</value></Data></ExtendedData>
    <Point><coordinates>6.8652,45.8326,4808</coordinates></Point></Placemark>
  <Placemark><name>Lake</name><styleUrl>#red</styleUrl><Polygon><outerBoundaryIs><LinearRing>
    <coordinates>6.0,46.0,372 6.0,46.1,372 6.1,46.1,372 6.1,46.0,372 6.0,46.0,372</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
  <Placemark><name>Islands</name><MultiGeometry>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>1,1 2,1 2,2 1,1</coordinates></LinearRing></outerBoundaryIs></Polygon>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>3,3 4,3 4,4 3,3</coordinates></LinearRing></outerBoundaryIs></Polygon>
  </MultiGeometry></Placemark>
</Document></kml>`;

const GPX = `<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<wpt lat="45.9" lon="6.9"><name>Hut</name><ele>2400</ele></wpt>
<trk><name>Climb</name><trkseg>${Array.from({ length: 500 }, (_, i) => `<trkpt lat="${(45.8 + i * 1e-4).toFixed(4)}" lon="6.86"><ele>${2400 + i}</ele></trkpt>`).join('')}</trkseg></trk></gpx>`;

const CSV =
  'name,lat,lon,population,zip,capital,note\nParis,48.8566,2.3522,2148000,75001,true,"line one\nline two"\nLyon,45.764,4.8357,513000,06900,false,\n';

/** Every property kind: strings (unicode), numbers, booleans, null, nested objects and arrays, style keys. */
const PROPERTY_KINDS = JSON.stringify({
  type: 'Feature',
  geometry: { type: 'Point', coordinates: [-73.99, 40.73, -2.5] },
  properties: {
    title: 'Café “Ünïcode” 東京',
    count: 42,
    ratio: -0.125,
    big: 1e21,
    open: false,
    missing: null,
    tags: ['a', 1, true, null, { deep: [1, [2, [3]]] }],
    hours: { mon: '8-18', sun: null },
    'marker-color': '#e4572e',
    'marker-symbol': 'cafe',
    'marker-size': 'large',
    stroke: '#123',
    'stroke-width': 2.5,
    'stroke-opacity': 0.8,
    fill: '#00ff00',
    'fill-opacity': 0.3,
  },
});

function imported(text: string, fileName: string): ImportedFeature[] {
  const outcome = readImport(text, { fileName, domParser: DOMParser as never });
  if (outcome.status !== 'read') throw new Error(`${fileName}: ${outcome.status}`);
  const validated = validateCandidatesSync(outcome.candidates);
  expect([...outcome.problems, ...validated.skipped], fileName).toEqual(
    // The world's land object is one 200 KB MultiPolygon: valid, larger than one message.
    fileName === 'countries-110m.json' ? [expect.objectContaining({ where: 'land: feature 1' })] : [],
  );
  return validated.features;
}

function everything(): ImportedFeature[] {
  return [
    ...fixtureFiles().flatMap(([name, text]) => imported(text, name)),
    ...imported(worldAtlas('countries-110m.json'), 'countries-110m.json'),
    ...imported(KML, 'places.kml'),
    ...imported(GPX, 'climb.gpx'),
    ...imported(CSV, 'cities.csv'),
    ...imported(PROPERTY_KINDS, 'kinds.geojson'),
  ];
}

/** What equality means after the trip: RFC 7946 winding (the export's), nothing else changed. */
const normalised = (geometry: Geometry) => rewind(structuredClone(geometry), false);

/** Shoelace sum: positive for counter-clockwise rings. */
const signedArea = (ring: number[][]) =>
  ring.reduce((sum, p, i) => {
    const q = ring[(i + 1) % ring.length] as number[];
    return sum + (p[0] as number) * (q[1] as number) - (q[0] as number) * (p[1] as number);
  }, 0);

function outerRings(geometry: Geometry): number[][][] {
  if (geometry.type === 'Polygon') return [geometry.coordinates[0] as number[][]];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.map((p) => p[0] as number[][]);
  if (geometry.type === 'GeometryCollection') return geometry.geometries.flatMap(outerRings);
  return [];
}

interface Backend {
  name: string;
  /** Start a node on this backend; called twice on the same storage (the second reads it back). */
  start(): Promise<TestNode>;
}

async function postgresBackend(): Promise<Backend> {
  const storage = await createClusterStorage({ name: 'meridian-formats' });
  cleanups.push(() => storage.remove());
  return { name: 'Postgres', start: () => startClusterNode(storage) };
}

async function pgliteBackend(): Promise<Backend> {
  const data = await createDataDir();
  cleanups.push(() => data.remove());
  return {
    name: 'PGlite',
    async start() {
      const db: Database = await openDatabase({ dataDir: data.dir });
      const node = await startNode({ db, bus: createMemoryBus(), dataDir: data.dir });
      return {
        ...node,
        async stop() {
          await node.stop();
          await db.close();
        },
      };
    },
  };
}

async function join(node: TestNode, mapId: string, token: string, name: string): Promise<MeridianClient> {
  const client = await openClient(node.wsUrl, { token, mapId, name });
  cleanups.push(() => client.close());
  return client;
}

describe.each([
  ['Postgres', postgresBackend],
  ['PGlite', pgliteBackend],
])('import → ops → %s → snapshot → export', (_name, makeBackend) => {
  it('gives back every geometry, altitude and property that was imported', async () => {
    const backend = await makeBackend();
    const features = everything();
    expect(new Set(features.map((f) => f.geometry.type))).toEqual(
      new Set([
        'Point',
        'MultiPoint',
        'LineString',
        'MultiLineString',
        'Polygon',
        'MultiPolygon',
        'GeometryCollection',
      ]),
    );

    const first = await backend.start();
    const created = await createMapVia(first.httpUrl, 'Round trip');
    const mapId = created.map.id;
    const token = await tokenVia(first.httpUrl, mapId, created.editKey);
    const importer = await join(first, mapId, token, 'importer');
    const withIds: Feature[] = features.map((f, i) => ({ type: 'Feature', id: `rt-${i}`, ...f, version: 0 }));
    await importer.importFeatures(withIds);
    importer.close();
    await first.stop();

    // A fresh node has nothing in memory: the second person's snapshot is read from the database.
    const second = await backend.start();
    cleanups.push(() => second.stop());
    const reader = await join(
      second,
      mapId,
      await tokenVia(second.httpUrl, mapId, created.editKey),
      'reader',
    );
    expect(reader.features.size).toBe(withIds.length);

    const exported = JSON.parse(exportGeoJson(reader.features.values())) as {
      type: string;
      features: { id: string; geometry: Geometry; properties: unknown }[];
    };
    expect(exported.type).toBe('FeatureCollection');
    const byId = new Map(exported.features.map((f) => [f.id, f]));
    let counterClockwise = 0;
    for (const feature of withIds) {
      const back = byId.get(feature.id);
      expect(back?.properties, feature.id).toEqual(feature.properties);
      expect(back?.geometry, feature.id).toEqual(normalised(feature.geometry));
      // Never clockwise; zero only for Natural Earth 110m's one degenerate ring (a North Korean
      // sliver quantized to a single point).
      for (const ring of outerRings(back?.geometry as Geometry)) {
        expect(signedArea(ring), feature.id).toBeGreaterThanOrEqual(0);
        if (signedArea(ring) > 0) counterClockwise++;
      }
    }
    expect(counterClockwise).toBeGreaterThan(250);

    // KML of the same snapshot reads back to as many features, altitudes included.
    const kml = exportKml(reader.features.values());
    const again = imported(kml, 'export.kml');
    expect(again).toHaveLength(withIds.length);
    const summit = again.find((f) => f.properties.title === 'Summit');
    expect(summit?.geometry).toEqual({ type: 'Point', coordinates: [6.8652, 45.8326, 4808] });
  }, 180_000);
});
