import { z } from 'zod';
import {
  Color,
  Feature,
  FeatureId,
  FeaturePropertiesPatch,
  Geometry,
  KnownProperties,
  STYLE_KEYS,
} from '../geo.ts';
import { LIMITS } from '../limits.ts';

/** Opaque ids for maps, clients and ops. */
export const Id = z
  .string()
  .min(1)
  .max(LIMITS.MAX_ID_CHARS)
  .regex(/^[A-Za-z0-9_-]+$/, 'ids use letters, digits, _ and -');

/** A map's op sequence number: 1 for the first op, strictly increasing by one. */
export const Seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * The client id the server commits its own ops under (live-feed entries). Reserved: a client may
 * not join with it, and only the server issues `layer.entries`.
 */
export const FEED_CLIENT_ID = 'feed';

export const Role = z.enum(['view', 'edit']);
export type Role = z.infer<typeof Role>;

export const DisplayName = z.string().trim().min(1).max(LIMITS.MAX_NAME_CHARS);

/** `{"bounds":[2.2,48.8,2.4,48.9],"zoom":12,"bearing":0,"pitch":0}`; bounds are [west, south, east, north]. */
export const Viewport = z.strictObject({
  bounds: z.tuple([
    z.number().min(-360).max(360),
    z.number().min(-90).max(90),
    z.number().min(-360).max(360),
    z.number().min(-90).max(90),
  ]),
  zoom: z.number().min(0).max(24),
  bearing: z.number().min(-360).max(360),
  pitch: z.number().min(0).max(90).default(0),
});
export type Viewport = z.infer<typeof Viewport>;

/** `[lng, lat]` of a pointer over the map. */
export const Cursor = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);
export type Cursor = z.infer<typeof Cursor>;

/** Whether a URL has no userinfo (`user:password@`); false for text that is not a URL. */
export function hasNoCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username === '' && parsed.password === '';
  } catch {
    return false;
  }
}

/**
 * A live-feed layer: a feed (Atom/RSS with GeoRSS, or GeoJSON) whose entries the server keeps on
 * the map as features with `properties.layer` set to the layer's id. `kind` may be left out (v2
 * ops in the log have none): a layer with a `url` and no kind is a feed layer.
 * `{"id":"quakes","kind":"feed","url":"https://example.org/quakes.atom","name":"Earthquakes"}`
 */
export const FeedLayer = z.strictObject({
  id: Id,
  kind: z.literal('feed').default('feed'),
  url: z
    .url({ protocol: /^https?$/ })
    .max(LIMITS.MAX_URL_CHARS)
    // The URL is map state that every viewer receives (snapshot.layers, the layer.add op), and
    // an HTTP client turns userinfo into a Basic auth header: a password here would leak twice.
    .refine(
      hasNoCredentials,
      'a feed URL must not carry credentials (user:password@): use a public or tokenless URL',
    ),
  name: DisplayName,
});
export type FeedLayer = z.infer<typeof FeedLayer>;

/**
 * A layer's default style: the simplestyle keys, each used for a feature of the layer that has
 * no value of its own for that key. Bounded by construction (eight known keys, each validated).
 * `{"marker-color":"#e4572e","stroke":"#e4572e","fill":"#e4572e","fill-opacity":0.3}`
 */
export const LayerStyle = z.strictObject(
  Object.fromEntries(STYLE_KEYS.map((key) => [key, KnownProperties.shape[key]])) as {
    [K in (typeof STYLE_KEYS)[number]]: (typeof KnownProperties.shape)[K];
  },
);
export type LayerStyle = z.infer<typeof LayerStyle>;

/**
 * Where a layer sits among the map's user layers: higher draws above lower. A number, so moving a
 * layer between two others is one op (the midpoint) that touches no other layer.
 */
export const LayerOrder = z.number().finite().min(-LIMITS.MAX_LAYER_ORDER).max(LIMITS.MAX_LAYER_ORDER);

/**
 * A layer people make to group features: features join it by `properties.layer`, take its
 * default style for the keys they do not set, and are hidden with it (hiding is per person, in
 * the browser, never map state).
 * `{"id":"l-2b9","kind":"user","name":"Meeting points","order":1,"style":{"marker-color":"#e4572e"}}`
 */
export const UserLayer = z.strictObject({
  id: Id,
  kind: z.literal('user'),
  name: DisplayName,
  order: LayerOrder,
  style: LayerStyle,
});
export type UserLayer = z.infer<typeof UserLayer>;

/** A layer of a map: a live feed (server-managed entries) or a user layer (people's features). */
export const Layer = z.discriminatedUnion('kind', [FeedLayer, UserLayer]);
export type Layer = z.infer<typeof Layer>;
export type LayerKind = Layer['kind'];

/** True for a user layer (features people may move into and out of it). */
export const isUserLayer = (layer: Layer | undefined): layer is UserLayer => layer?.kind === 'user';

/**
 * The import (or multi-delete) a bulk op's chunk belongs to: every chunk of it carries the same
 * `id` and the number of features of the whole, so a watcher tells it as one notice.
 * `{"id":"imp-7Qx2","total":100000}`
 */
export const BulkBatch = z.strictObject({
  id: Id,
  total: z.number().int().positive().max(10_000_000),
});
export type BulkBatch = z.infer<typeof BulkBatch>;

/**
 * Who made a bulk op, as the committing server knew them (their name from `hello`, whatever the
 * client wrote here): carried by the record, so even a member who is only counted (not listed) is
 * named to the others. `{"name":"Ada"}`
 */
export const BulkAuthor = z.strictObject({ name: DisplayName });
export type BulkAuthor = z.infer<typeof BulkAuthor>;

/** Durable operations. Each is validated, persisted with the map's next seq and fanned out. */
export const Op = z.discriminatedUnion('kind', [
  /** `{"kind":"feature.create","feature":{"type":"Feature","id":"f1","geometry":{...},"properties":{},"version":0}}` */
  z.strictObject({ kind: z.literal('feature.create'), feature: Feature }),
  /** `{"kind":"feature.update","id":"f1","properties":{"title":"New"}}` */
  z.strictObject({ kind: z.literal('feature.update'), id: FeatureId, properties: FeaturePropertiesPatch }),
  /** `{"kind":"feature.move","id":"f1","geometry":{"type":"Point","coordinates":[1,2]}}` */
  z.strictObject({ kind: z.literal('feature.move'), id: FeatureId, geometry: Geometry }),
  /** `{"kind":"feature.delete","id":"f1"}` */
  z.strictObject({ kind: z.literal('feature.delete'), id: FeatureId }),
  /**
   * Many new features in one commit (one seq, one ack, one broadcast record): all or nothing,
   * every id new. Large imports travel as several of these (see `MeridianClient.importFeatures`).
   * `{"kind":"features.import","features":[{"type":"Feature","id":"f1",...},...]}`
   */
  z.strictObject({
    kind: z.literal('features.import'),
    features: z.array(Feature).min(1).max(LIMITS.MAX_IMPORT_FEATURES_PER_OP),
    batch: BulkBatch.optional(),
    by: BulkAuthor.optional(),
  }),
  /**
   * Delete many features in one commit; ids already gone are skipped (so the undo of an import
   * still applies after someone deleted part of it), but at least one must exist.
   * `{"kind":"features.delete","ids":["f1","f2"]}`
   */
  z.strictObject({
    kind: z.literal('features.delete'),
    ids: z.array(FeatureId).min(1).max(LIMITS.MAX_DELETE_IDS_PER_OP),
    batch: BulkBatch.optional(),
    by: BulkAuthor.optional(),
  }),
  /** `{"kind":"map.rename","name":"Trip to Lyon"}` */
  z.strictObject({ kind: z.literal('map.rename'), name: DisplayName }),
  /**
   * Add a live-feed or user layer (edit role).
   * `{"kind":"layer.add","layer":{"id":"quakes","kind":"feed","url":"https://…","name":"Earthquakes"}}`
   */
  z.strictObject({ kind: z.literal('layer.add'), layer: Layer }),
  /**
   * Rename, restyle (the default style, replaced whole) or reorder a user layer; at least one.
   * `{"kind":"layer.update","id":"l-2b9","name":"Stops","style":{"marker-color":"#e4572e"},"order":2.5}`
   */
  z
    .strictObject({
      kind: z.literal('layer.update'),
      id: Id,
      name: DisplayName.optional(),
      style: LayerStyle.optional(),
      order: LayerOrder.optional(),
    })
    .refine(
      (op) => op.name !== undefined || op.style !== undefined || op.order !== undefined,
      'a layer.update changes at least one of name, style, order',
    ),
  /** Remove a layer and every feature in it. `{"kind":"layer.remove","id":"quakes"}` */
  z.strictObject({ kind: z.literal('layer.remove'), id: Id }),
  /**
   * New or changed feed entries of a layer, each created or replaced whole. Only the server
   * issues it (a client's is refused with FORBIDDEN). `{"kind":"layer.entries","layerId":"quakes","features":[...]}`
   */
  z.strictObject({
    kind: z.literal('layer.entries'),
    layerId: Id,
    features: z.array(Feature).min(1).max(LIMITS.MAX_LAYER_ENTRIES_PER_OP),
  }),
]);
export type Op = z.infer<typeof Op>;
export type OpKind = Op['kind'];

/** A committed op as it sits in the op log and travels to clients. */
export const OpRecord = z.strictObject({
  seq: Seq.min(1),
  opId: Id,
  clientId: Id,
  op: Op,
  /** Commit time, ms since the epoch (server clock). */
  at: z.number().int().nonnegative(),
});
export type OpRecord = z.infer<typeof OpRecord>;

/** The ops that change many features at once and may fill a bulk frame (LIMITS.MAX_BULK_FRAME_BYTES). */
export type BulkOpKind = 'features.import' | 'features.delete';
export function isBulkOpKind(kind: Op['kind']): kind is BulkOpKind {
  return kind === 'features.import' || kind === 'features.delete';
}

/**
 * One tab of someone listed on a map (an editor who moved a cursor, edited or summoned), with
 * its latest volatile state. Tabs of one person share `personId` and `color`; clients show one
 * person per `personId`. View-only and idle people are not listed: they are counted (`audience`).
 * `{"clientId":"c-9b2e","personId":"p-41d0","name":"Bo","color":"#0076d3","role":"edit","cursor":[2.35,48.85],"viewport":null,"following":null}`
 */
export const PresenceEntry = z.strictObject({
  clientId: Id,
  /** The person (a browser profile) this tab belongs to. */
  personId: Id,
  name: DisplayName,
  /** Assigned by the map: no two people listed on it at once share one, up to 708 people (then some do). */
  color: Color,
  role: Role,
  cursor: Cursor.nullable(),
  viewport: Viewport.nullable(),
  /** The person id this person is following, if anyone. */
  following: Id.nullable(),
});
export type PresenceEntry = z.infer<typeof PresenceEntry>;

export const MapInfo = z.strictObject({ id: Id, name: DisplayName });
export type MapInfo = z.infer<typeof MapInfo>;
