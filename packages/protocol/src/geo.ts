import { z } from 'zod';
import { LIMITS } from './limits.ts';

const longitude = z.number().min(-180).max(180);
const latitude = z.number().min(-90).max(90);
const altitude = z.number().min(-20_000).max(1_000_000);

/** An RFC 7946 position: `[lng, lat]` or `[lng, lat, altitude]`. z.number() refuses NaN and ±Infinity. */
export const Position = z.union([z.tuple([longitude, latitude]), z.tuple([longitude, latitude, altitude])]);
export type Position = z.infer<typeof Position>;

const samePosition = (a: Position | undefined, b: Position | undefined) =>
  a !== undefined && b !== undefined && a[0] === b[0] && a[1] === b[1] && (a[2] ?? null) === (b[2] ?? null);

// Arrays are bounded per level by the feature-wide vertex bound, so a hostile frame cannot make
// zod walk more than that many positions before the total is checked (`vertexCount`).
const positions = z.array(Position).max(LIMITS.MAX_FEATURE_VERTICES);
const parts = <T extends z.ZodType>(item: T) => z.array(item).max(LIMITS.MAX_GEOMETRY_PARTS);

/** At least two positions. */
const LineCoordinates = positions.min(2);

/** A closed ring of at least four positions whose first and last are equal (RFC 7946 §3.1.6). */
const LinearRing = positions
  .min(4)
  .refine((ring) => samePosition(ring[0], ring[ring.length - 1]), 'a linear ring must be closed');

/** An outer ring and its holes. */
const PolygonCoordinates = parts(LinearRing).min(1);

/** `{"type":"Point","coordinates":[2.35,48.85]}` */
export const PointGeometry = z.strictObject({ type: z.literal('Point'), coordinates: Position });
/** `{"type":"MultiPoint","coordinates":[[2.35,48.85],[4.83,45.76]]}` */
export const MultiPointGeometry = z.strictObject({ type: z.literal('MultiPoint'), coordinates: positions });
/** `{"type":"LineString","coordinates":[[2.35,48.85],[2.29,48.86]]}` */
export const LineStringGeometry = z.strictObject({
  type: z.literal('LineString'),
  coordinates: LineCoordinates,
});
/** `{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]]}` */
export const MultiLineStringGeometry = z.strictObject({
  type: z.literal('MultiLineString'),
  coordinates: parts(LineCoordinates),
});
/** `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}` */
export const PolygonGeometry = z.strictObject({
  type: z.literal('Polygon'),
  coordinates: PolygonCoordinates,
});
/** `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}` */
export const MultiPolygonGeometry = z.strictObject({
  type: z.literal('MultiPolygon'),
  coordinates: parts(PolygonCoordinates),
});

/** The geometries with coordinates (every RFC 7946 type but GeometryCollection). */
const SimpleGeometry = z.discriminatedUnion('type', [
  PointGeometry,
  MultiPointGeometry,
  LineStringGeometry,
  MultiLineStringGeometry,
  PolygonGeometry,
  MultiPolygonGeometry,
]);

/**
 * `{"type":"GeometryCollection","geometries":[{"type":"Point",...},{"type":"LineString",...}]}`.
 * Not nested (LIMITS.MAX_GEOMETRY_COLLECTION_DEPTH is 1): RFC 7946 §3.1.8 says nesting SHOULD be avoided.
 */
export const GeometryCollectionGeometry = z.strictObject({
  type: z.literal('GeometryCollection'),
  geometries: parts(SimpleGeometry),
});

type AnyGeometry = z.infer<typeof SimpleGeometry> | z.infer<typeof GeometryCollectionGeometry>;

/** How many positions a geometry has, all parts together. */
export function vertexCount(geometry: AnyGeometry): number {
  switch (geometry.type) {
    case 'Point':
      return 1;
    case 'MultiPoint':
    case 'LineString':
      return geometry.coordinates.length;
    case 'MultiLineString':
    case 'Polygon':
      return geometry.coordinates.reduce((n, line) => n + line.length, 0);
    case 'MultiPolygon':
      return geometry.coordinates.reduce((n, polygon) => n + polygon.reduce((m, r) => m + r.length, 0), 0);
    case 'GeometryCollection':
      return geometry.geometries.reduce((n, g) => n + vertexCount(g), 0);
  }
}

/** The geometry of a Meridian feature: any RFC 7946 geometry, at most MAX_FEATURE_VERTICES positions. */
export const Geometry = z
  .discriminatedUnion('type', [
    PointGeometry,
    MultiPointGeometry,
    LineStringGeometry,
    MultiLineStringGeometry,
    PolygonGeometry,
    MultiPolygonGeometry,
    GeometryCollectionGeometry,
  ])
  .refine(
    (geometry) => vertexCount(geometry) <= LIMITS.MAX_FEATURE_VERTICES,
    `a feature has at most ${LIMITS.MAX_FEATURE_VERTICES} positions`,
  );
export type Geometry = z.infer<typeof Geometry>;
export type GeometryType = Geometry['type'];

/** Feature ids are chosen by the creating client (so optimistic state needs no round trip). */
export const FeatureId = z
  .string()
  .min(1)
  .max(LIMITS.MAX_ID_CHARS)
  .regex(/^[A-Za-z0-9_-]+$/, 'ids use letters, digits, _ and -');

/** A colour as `#rrggbb` (presence colours). */
export const Color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'colour must be #rrggbb');

/** A simplestyle colour: `#rgb` or `#rrggbb`. */
export const StyleColor = z.string().regex(/^#(?:[0-9a-fA-F]{3}){1,2}$/, 'colour must be #rgb or #rrggbb');

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** How a line or outline is drawn: `stroke-dash`, a Meridian extension of simplestyle. */
export const STROKE_DASHES = ['solid', 'dash', 'dot'] as const;
export type StrokeDash = (typeof STROKE_DASHES)[number];

/**
 * The properties Meridian reads itself, validated when present: `title`, `description` and `url`
 * (shown in the feature panel), `layer` (the layer the feature belongs to), the
 * simplestyle-spec 1.1.0 style keys (https://github.com/mapbox/simplestyle-spec), and two keys of
 * Meridian's own in the same spirit: `stroke-dash` (solid, dash or dot) and `show-label` (false
 * hides the title on the map; absent or true shows it). They are optional keys of the free
 * properties, so a client that does not know them keeps them and draws the feature's default.
 */
export const KnownProperties = z
  .object({
    title: z.string().max(LIMITS.MAX_TITLE_CHARS),
    description: z.string().max(LIMITS.MAX_DESCRIPTION_CHARS),
    /** A link for the feature (a feed entry's page). */
    url: z.url({ protocol: /^https?$/ }).max(LIMITS.MAX_URL_CHARS),
    /**
     * The layer this feature belongs to: set by the server on live-feed entries, by people (create
     * or update) for user layers; `applyOp` refuses moves into or out of a feed layer.
     */
    layer: FeatureId,
    'marker-color': StyleColor,
    /** A Maki icon name, a letter or a digit. */
    'marker-symbol': z
      .string()
      .max(LIMITS.MAX_ICON_CHARS)
      .regex(/^[a-z0-9-]*$/, 'marker-symbol uses a-z, 0-9 and -'),
    'marker-size': z.enum(['small', 'medium', 'large']),
    stroke: StyleColor,
    'stroke-width': z.number().min(0).max(LIMITS.MAX_STROKE_WIDTH),
    'stroke-opacity': z.number().min(0).max(1),
    fill: StyleColor,
    'fill-opacity': z.number().min(0).max(1),
    'stroke-dash': z.enum(STROKE_DASHES),
    'show-label': z.boolean(),
  })
  .partial();
export type KnownProperties = z.infer<typeof KnownProperties>;

/** The style keys: simplestyle's, then Meridian's two (`stroke-dash`, `show-label`). */
export const STYLE_KEYS = [
  'marker-color',
  'marker-symbol',
  'marker-size',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'fill',
  'fill-opacity',
  'stroke-dash',
  'show-label',
] as const;
export type StyleKey = (typeof STYLE_KEYS)[number];

/** Keys that would reach an object's prototype in careless code; refused at any depth. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Why a value is not bounded JSON properties, or null when it is: a plain object of JSON values,
 * at most MAX_PROPERTY_KEYS keys in all (every depth), keys of at most MAX_PROPERTY_KEY_CHARS,
 * nested at most MAX_PROPERTY_DEPTH deep, MAX_PROPERTIES_BYTES of JSON text, no prototype keys.
 * One walk with a key budget, so a hostile value costs at most the bounds.
 */
export function jsonPropertiesProblem(value: unknown): { message: string; path: (string | number)[] } | null {
  if (!isPlainObject(value)) return { message: 'properties must be a JSON object', path: [] };
  let keys = 0;
  // Stack of [value, path, depth]; strings are measured as they are met so huge ones stop early.
  const stack: [unknown, (string | number)[], number][] = [[value, [], 0]];
  let bytes = 0;
  while (stack.length > 0) {
    const [node, path, depth] = stack.pop() as [unknown, (string | number)[], number];
    if (node === null) {
      bytes += 4;
    } else if (typeof node === 'string') {
      bytes += node.length + 2;
    } else if (typeof node === 'number') {
      if (!Number.isFinite(node)) return { message: 'numbers must be finite', path };
      bytes += 8;
    } else if (typeof node === 'boolean') {
      bytes += 5;
    } else if (Array.isArray(node) || isPlainObject(node)) {
      if (depth >= LIMITS.MAX_PROPERTY_DEPTH)
        return { message: `properties nest at most ${LIMITS.MAX_PROPERTY_DEPTH} deep`, path };
      if (Array.isArray(node)) {
        keys += node.length;
        if (keys > LIMITS.MAX_PROPERTY_KEYS)
          return { message: `properties hold at most ${LIMITS.MAX_PROPERTY_KEYS} keys and items`, path };
        for (const [i, item] of node.entries()) stack.push([item, [...path, i], depth + 1]);
      } else {
        for (const key of Object.keys(node)) {
          keys += 1;
          if (keys > LIMITS.MAX_PROPERTY_KEYS)
            return { message: `properties hold at most ${LIMITS.MAX_PROPERTY_KEYS} keys and items`, path };
          if (key.length > LIMITS.MAX_PROPERTY_KEY_CHARS)
            return { message: `property keys are at most ${LIMITS.MAX_PROPERTY_KEY_CHARS} characters`, path };
          if (FORBIDDEN_KEYS.has(key))
            return { message: `property key "${key}" is not allowed`, path: [...path, key] };
          bytes += key.length + 4;
          stack.push([(node as Record<string, unknown>)[key], [...path, key], depth + 1]);
        }
      }
    } else {
      return { message: 'property values must be JSON', path };
    }
    if (bytes > LIMITS.MAX_PROPERTIES_BYTES)
      return { message: `properties are at most ${LIMITS.MAX_PROPERTIES_BYTES} bytes of JSON`, path };
  }
  return null;
}

function boundedProperties<T>() {
  return z.custom<T>().superRefine((value, ctx) => {
    const problem = jsonPropertiesProblem(value);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
      return;
    }
    const present = Object.fromEntries(
      Object.entries(value as Record<string, unknown>).filter(
        ([key, v]) => key in KnownProperties.shape && v !== null,
      ),
    );
    const known = KnownProperties.safeParse(present);
    if (!known.success) for (const issue of known.error.issues) ctx.addIssue({ ...issue, code: 'custom' });
  });
}

/**
 * A feature's properties: arbitrary bounded JSON (null values included, as GeoJSON data has them;
 * a known key set to null counts as absent) (see `jsonPropertiesProblem`), with the known
 * keys (`KnownProperties`) validated when present.
 * `{"title":"Café","marker-color":"#e4572e","marker-symbol":"cafe","opening":{"mon":"8-18"}}`
 */
export type FeatureProperties = KnownProperties & { [key: string]: JsonValue | undefined };
export const FeatureProperties = boundedProperties<FeatureProperties>();

/**
 * A property patch: a key set to `null` is removed, an absent key is left alone, any other value
 * replaces the key's (last writer wins per key). `layer` moves the feature to a user layer (or out
 * of one, with null); `applyOp` checks that against the map's layers.
 */
export type FeaturePropertiesPatch = { [K in keyof KnownProperties]?: KnownProperties[K] | null } & {
  [key: string]: JsonValue | undefined;
};
export const FeaturePropertiesPatch = boundedProperties<FeaturePropertiesPatch>();

/**
 * An RFC 7946 Feature as Meridian stores it; `version` counts the ops applied to it.
 * `{"type":"Feature","id":"f1","geometry":{"type":"Point","coordinates":[2.35,48.85]},"properties":{"title":"Paris"},"version":1}`
 */
export const Feature = z.strictObject({
  type: z.literal('Feature'),
  id: FeatureId,
  geometry: Geometry,
  properties: FeatureProperties,
  version: z.number().int().nonnegative(),
});
export type Feature = z.infer<typeof Feature>;

/**
 * The first feature whose JSON is over LIMITS.MAX_FEATURE_BYTES (UTF-16 units, a lower bound on
 * its UTF-8 size), as a message naming it by index and id; null when every one fits. A bulk frame
 * holds many features, never one that a plain frame could not carry.
 */
export function oversizedFeature(features: readonly Feature[]): string | null {
  for (const [index, feature] of features.entries()) {
    const bytes = JSON.stringify(feature).length;
    if (bytes > LIMITS.MAX_FEATURE_BYTES)
      return `features.${index} (${feature.id}) is ${bytes} bytes: features are at most ${LIMITS.MAX_FEATURE_BYTES}`;
  }
  return null;
}
