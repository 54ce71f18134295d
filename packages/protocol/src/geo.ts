import { z } from 'zod';
import { LIMITS } from './limits.ts';

const longitude = z.number().min(-180).max(180);
const latitude = z.number().min(-90).max(90);
const altitude = z.number().min(-20_000).max(1_000_000);

/** An RFC 7946 position: `[lng, lat]` or `[lng, lat, altitude]`. z.number() refuses NaN and ±Infinity. */
export const Position = z.union([z.tuple([longitude, latitude]), z.tuple([longitude, latitude, altitude])]);
export type Position = z.infer<typeof Position>;

/** `{"type":"Point","coordinates":[2.35,48.85]}` */
export const PointGeometry = z.strictObject({ type: z.literal('Point'), coordinates: Position });

/** `{"type":"LineString","coordinates":[[2.35,48.85],[2.29,48.86]]}` */
export const LineStringGeometry = z.strictObject({
  type: z.literal('LineString'),
  coordinates: z.array(Position).min(2).max(LIMITS.MAX_LINE_VERTICES),
});

const samePosition = (a: Position | undefined, b: Position | undefined) =>
  a !== undefined && b !== undefined && a[0] === b[0] && a[1] === b[1];

/** A closed ring of at least four positions whose first and last are equal (RFC 7946 §3.1.6). */
const LinearRing = z
  .array(Position)
  .min(4)
  .max(LIMITS.MAX_POLYGON_VERTICES)
  .refine((ring) => samePosition(ring[0], ring[ring.length - 1]), 'a linear ring must be closed');

/** `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}` */
export const PolygonGeometry = z
  .strictObject({
    type: z.literal('Polygon'),
    coordinates: z.array(LinearRing).min(1).max(LIMITS.MAX_POLYGON_RINGS),
  })
  .refine(
    (polygon) => polygon.coordinates.reduce((n, ring) => n + ring.length, 0) <= LIMITS.MAX_POLYGON_VERTICES,
    `a polygon has at most ${LIMITS.MAX_POLYGON_VERTICES} vertices`,
  );

/** The geometries a Meridian feature may have. */
export const Geometry = z.discriminatedUnion('type', [PointGeometry, LineStringGeometry, PolygonGeometry]);
export type Geometry = z.infer<typeof Geometry>;

/** Feature ids are chosen by the creating client (so optimistic state needs no round trip). */
export const FeatureId = z
  .string()
  .min(1)
  .max(LIMITS.MAX_ID_CHARS)
  .regex(/^[A-Za-z0-9_-]+$/, 'ids use letters, digits, _ and -');

/** A colour as `#rrggbb`. */
export const Color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'colour must be #rrggbb');

/** `{"title":"Café","description":"Best croissants","color":"#e4572e","icon":"cafe"}` */
export const FeatureProperties = z.strictObject({
  title: z.string().max(LIMITS.MAX_TITLE_CHARS).optional(),
  description: z.string().max(LIMITS.MAX_DESCRIPTION_CHARS).optional(),
  color: Color.optional(),
  icon: z
    .string()
    .max(LIMITS.MAX_ICON_CHARS)
    .regex(/^[a-z0-9-]*$/, 'icon names use a-z, 0-9 and -')
    .optional(),
  /** The live-feed layer this feature belongs to; set by the server on feed entries. */
  layer: FeatureId.optional(),
  /** A link for the feature (a feed entry's page). */
  url: z
    .url({ protocol: /^https?$/ })
    .max(LIMITS.MAX_URL_CHARS)
    .optional(),
});
export type FeatureProperties = z.infer<typeof FeatureProperties>;

/** A property patch: `null` clears a field, an absent key leaves it alone (last writer wins per field). */
export const FeaturePropertiesPatch = z.strictObject({
  title: FeatureProperties.shape.title.unwrap().nullable().optional(),
  description: FeatureProperties.shape.description.unwrap().nullable().optional(),
  color: Color.nullable().optional(),
  icon: FeatureProperties.shape.icon.unwrap().nullable().optional(),
  url: FeatureProperties.shape.url.unwrap().nullable().optional(),
});
export type FeaturePropertiesPatch = z.infer<typeof FeaturePropertiesPatch>;

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
