import {
  type Feature,
  FeatureProperties,
  Geometry,
  jsonPropertiesProblem,
  KnownProperties,
  LIMITS,
} from '@meridian/protocol';

/** What an import yields: features ready to create (ids are chosen when they are created). */
export interface ImportedFeature {
  geometry: Geometry;
  properties: FeatureProperties;
}

export interface ImportResult {
  features: ImportedFeature[];
  /** Why some inputs were left out, one line each, for the person who imported. */
  skipped: string[];
}

/** Features in one import: an import travels as bulk chunks (issue #11), so this is about memory. */
export const MAX_IMPORT_FEATURES = 100_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function normalizeColor(value: Json | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const short = /^#?([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(value.trim());
  if (short) return `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}`.toLowerCase();
  const long = /^#?([0-9a-f]{6})$/i.exec(value.trim());
  return long ? `#${long[1]}`.toLowerCase() : undefined;
}

function text(value: Json | undefined, max: number): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const trimmed = String(value).trim();
  return trimmed ? trimmed.slice(0, max) : undefined;
}

/** Meridian properties from common GeoJSON conventions (simplestyle, KML/GPX conversions). */
function propertiesFrom(raw: Json | undefined): FeatureProperties {
  const source = isObject(raw) ? raw : {};
  const properties: FeatureProperties = {};
  const title = text(source.title ?? source.name, LIMITS.MAX_TITLE_CHARS);
  const description = text(source.description ?? source.desc, LIMITS.MAX_DESCRIPTION_CHARS);
  const color = normalizeColor(source.color ?? source['marker-color'] ?? source.stroke ?? source.fill);
  if (title) properties.title = title;
  if (description) properties.description = description;
  if (color) Object.assign(properties, { 'marker-color': color, stroke: color, fill: color });
  return { ...otherProperties(source), ...properties };
}

/** Read above (names, colours), or the server's own (`layer`). */
const READ_KEYS: ReadonlySet<string> = new Set([
  'title',
  'name',
  'description',
  'desc',
  'color',
  'marker-color',
  'stroke',
  'fill',
  'layer',
  // Never copied onto an object: they would reach its prototype (the protocol refuses them anyway).
  '__proto__',
  'constructor',
  'prototype',
]);

/**
 * The file's other properties, kept for the popup's table and the export: known keys only when
 * valid (a bad `stroke-width` is dropped, not the feature), and none at all when together they
 * pass the properties' bounds.
 */
function otherProperties(source: Record<string, Json>): Record<string, Json> {
  const kept: Record<string, Json> = {};
  const known = KnownProperties.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
  for (const [key, value] of Object.entries(source)) {
    if (READ_KEYS.has(key) || value === null) continue;
    if (key in known && !known[key]?.safeParse(value).success) continue;
    kept[key] = value;
  }
  return jsonPropertiesProblem(kept) ? {} : kept;
}

/** Keep longitude and latitude only: altitudes in the wild are often out of any sane range. */
const flat = (position: Json): Json => (Array.isArray(position) ? position.slice(0, 2) : position);

function closeRing(ring: Json): Json {
  if (!Array.isArray(ring) || ring.length < 3) return ring;
  const first = ring[0];
  const last = ring[ring.length - 1];
  const closed = Array.isArray(first) && Array.isArray(last) && first[0] === last[0] && first[1] === last[1];
  return closed ? ring : [...ring, first as Json];
}

/** Split multi-geometries into the single geometries Meridian stores, as raw JSON to validate. */
function explode(geometry: JsonObject): JsonObject[] {
  const coordinates = geometry.coordinates;
  const list = Array.isArray(coordinates) ? coordinates : [];
  switch (geometry.type) {
    case 'Point':
      return [{ type: 'Point', coordinates: flat(coordinates ?? null) }];
    case 'LineString':
      return [{ type: 'LineString', coordinates: list.map(flat) }];
    case 'Polygon':
      return [
        {
          type: 'Polygon',
          coordinates: list.map((ring) => closeRing(Array.isArray(ring) ? ring.map(flat) : ring)),
        },
      ];
    case 'MultiPoint':
      return list.map((p) => ({ type: 'Point', coordinates: flat(p) }));
    case 'MultiLineString':
      return list.map((line) => ({
        type: 'LineString',
        coordinates: Array.isArray(line) ? line.map(flat) : line,
      }));
    case 'MultiPolygon':
      return list.flatMap((polygon) => explode({ type: 'Polygon', coordinates: polygon }));
    case 'GeometryCollection':
      return (Array.isArray(geometry.geometries) ? geometry.geometries : [])
        .filter(isObject)
        .flatMap(explode);
    default:
      return [];
  }
}

/**
 * Read GeoJSON text (a FeatureCollection, a Feature or a bare geometry) into features Meridian can
 * store. Never throws: what cannot be used is listed in `skipped` with the reason.
 */
export function importGeoJson(textInput: string): ImportResult {
  let data: unknown;
  try {
    data = JSON.parse(textInput);
  } catch {
    return { features: [], skipped: ['The file is not valid JSON.'] };
  }
  if (!isObject(data)) return { features: [], skipped: ['The file is not a GeoJSON object.'] };
  const inputs: { geometry: Json | undefined; properties: Json | undefined; label: string }[] = [];
  if (data.type === 'FeatureCollection' && Array.isArray(data.features)) {
    data.features.forEach((f, i) => {
      inputs.push({
        geometry: isObject(f) ? f.geometry : undefined,
        properties: isObject(f) ? f.properties : undefined,
        label: `feature ${i + 1}`,
      });
    });
  } else if (data.type === 'Feature') {
    inputs.push({ geometry: data.geometry, properties: data.properties, label: 'the feature' });
  } else if (typeof data.type === 'string') {
    inputs.push({ geometry: data, properties: undefined, label: 'the geometry' });
  } else {
    return { features: [], skipped: ['The file is not GeoJSON (no "type").'] };
  }

  const features: ImportedFeature[] = [];
  const skipped: string[] = [];
  for (const input of inputs) {
    if (!isObject(input.geometry)) {
      skipped.push(`${input.label}: it has no geometry`);
      continue;
    }
    const parts = explode(input.geometry);
    if (parts.length === 0)
      skipped.push(`${input.label}: geometry type ${String(input.geometry.type)} is not supported`);
    const properties = propertiesFrom(input.properties);
    for (const part of parts) {
      const parsed = Geometry.safeParse(part);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        skipped.push(`${input.label}: ${issue ? issue.message : 'invalid geometry'}`);
        continue;
      }
      if (features.length >= MAX_IMPORT_FEATURES) {
        skipped.push(`${input.label}: more than ${MAX_IMPORT_FEATURES} features in one import`);
        continue;
      }
      features.push({ geometry: parsed.data, properties: FeatureProperties.parse(properties) });
    }
  }
  return { features, skipped };
}

/** The map's features as a GeoJSON FeatureCollection (RFC 7946), ids and properties kept. */
export function exportGeoJson(features: Iterable<Feature>): string {
  const collection = {
    type: 'FeatureCollection',
    features: Array.from(features, (f) => ({
      type: 'Feature',
      id: f.id,
      geometry: f.geometry,
      properties: { ...f.properties },
    })),
  };
  return JSON.stringify(collection, null, 2);
}
