import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  applyOp,
  canonicalJson,
  createMapState,
  Feature,
  type Feature as FeatureType,
  LIMITS,
  stateHash,
} from '@meridian/protocol';
import { feature as topoFeature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { describe, expect, it } from 'vitest';
import type { Database } from './client.ts';
import { createMap, loadSnapshot } from './maps.ts';
import { commitOp, readOps } from './op-log.ts';
import { BACKENDS } from './testing/backends.ts';
import { useTestDatabase } from './testing/test-database.ts';

// Real data nobody here wrote, through ops → Postgres/PGlite → snapshot and op log: the
// geojson-fixtures set (every geometry type, 2D and with altitudes, nested property values) and
// Natural Earth's countries from world-atlas (Polygons and MultiPolygons with islands).

const require = createRequire(import.meta.url);
const fixturesDir = path.join(path.dirname(require.resolve('geojson-fixtures/package.json')), 'data');
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

function fixtureFeatures(): FeatureType[] {
  const raw: { geometry: unknown; properties?: unknown }[] = [];
  for (const file of readdirSync(path.join(fixturesDir, 'geometry')))
    raw.push({ geometry: readJson(path.join(fixturesDir, 'geometry', file)), properties: { file } });
  raw.push(readJson(path.join(fixturesDir, 'feature', 'one.geojson')));
  raw.push(...readJson(path.join(fixturesDir, 'featurecollection', 'one.geojson')).features);
  return raw.map((f, i) =>
    Feature.parse({
      type: 'Feature',
      id: `fx-${i}`,
      geometry: f.geometry,
      properties: f.properties ?? {},
      version: 0,
    }),
  );
}

function countries(): FeatureType[] {
  const topology = readJson(require.resolve('world-atlas/countries-110m.json')) as Topology<{
    countries: GeometryCollection<{ name: string }>;
  }>;
  const collection = topoFeature(topology, topology.objects.countries);
  return collection.features.map((country, i) =>
    Feature.parse({
      type: 'Feature',
      id: `country-${i}`,
      geometry: country.geometry,
      properties: { ...country.properties, iso: country.id ?? null, 'fill-opacity': 0.5, fill: '#3a7' },
      version: 0,
    }),
  );
}

describe.each(BACKENDS)('round trip of real GeoJSON on $kind', ({ create }) => {
  let db: Database;
  useTestDatabase(create, (opened) => {
    db = opened;
  });

  it('keeps every geometry type and property kind through import, edit, snapshot and op log', async () => {
    const fixtures = fixtureFeatures();
    const world = countries();
    expect(new Set(fixtures.map((f) => f.geometry.type))).toEqual(
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
    expect(world.some((f) => f.geometry.type === 'MultiPolygon')).toBe(true);
    const all = [...fixtures, ...world];
    const { map } = await createMap(db, { name: 'Round trip' });
    const chunk = LIMITS.MAX_IMPORT_FEATURES_PER_OP / 10;
    let n = 0;
    for (let i = 0; i < all.length; i += chunk) {
      const op = { kind: 'features.import' as const, features: all.slice(i, i + chunk) };
      expect(await commitOp(db, { mapId: map.id, clientId: 'c', opId: `i${n++}`, op })).toMatchObject({
        status: 'committed',
      });
    }
    const patch = { prop0: null, prop1: { nested: [1, { deeper: 'yes' }] }, 'marker-size': 'large' as const };
    await commitOp(db, {
      mapId: map.id,
      clientId: 'c',
      opId: 'u',
      op: { kind: 'feature.update', id: 'fx-14', properties: patch },
    });

    const expected = createMapState('Round trip');
    for (const op of [{ kind: 'features.import' as const, features: all }])
      expect(applyOp(expected, op).ok).toBe(true);
    expect(applyOp(expected, { kind: 'feature.update', id: 'fx-14', properties: patch }).ok).toBe(true);

    const snapshot = await loadSnapshot(db, map.id);
    const stored = new Map(snapshot?.features.map((f) => [f.id, f]));
    for (const original of all) {
      const back = stored.get(original.id);
      if (original.id === 'fx-14') continue;
      // Equal after normalisation: key order aside, the same geometry (altitudes too) and properties.
      expect(canonicalJson(back?.geometry), original.id).toBe(canonicalJson(original.geometry));
      expect(canonicalJson(back?.properties), original.id).toBe(canonicalJson(original.properties));
    }
    expect(stored.get('fx-14')?.properties).toMatchObject({
      prop1: { nested: [1, { deeper: 'yes' }] },
      'marker-size': 'large',
    });
    expect(stored.get('fx-14')?.properties).not.toHaveProperty('prop0');
    expect(stateHash(createMapState('Round trip', snapshot?.features))).toBe(stateHash(expected));

    const replayed = createMapState('Round trip');
    for (const record of await readOps(db, map.id, 1, snapshot?.seq ?? 0)) applyOp(replayed, record.op);
    expect(stateHash(replayed)).toBe(stateHash(expected));
  });
});
