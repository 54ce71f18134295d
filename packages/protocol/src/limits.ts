/** Limits that both ends agree on; the server enforces them, the client checks before sending. */
export const LIMITS = {
  MAX_FRAME_BYTES: 64 * 1024,
  /**
   * A bulk op's frame (`features.import`, `features.delete`): an import of 100,000 features is
   * ~100 chunks, not ~800, each one transaction and one record. Announced in `welcome`
   * (`maxBulkFrameBytes`); every other message stays within MAX_FRAME_BYTES.
   */
  MAX_BULK_FRAME_BYTES: 1024 * 1024,
  /**
   * One feature as JSON, in any op: a bulk frame carries many features, never one bigger than a
   * plain frame could (so it can still be edited, and a snapshot chunk stays near its target).
   */
  MAX_FEATURE_BYTES: 64 * 1024,
  MAX_ID_CHARS: 64,
  MAX_NAME_CHARS: 80,
  MAX_TITLE_CHARS: 200,
  MAX_DESCRIPTION_CHARS: 5000,
  MAX_ICON_CHARS: 32,
  /** Positions in one feature's geometry, all parts together (a 20,000-point GPX track fits). */
  MAX_FEATURE_VERTICES: 20_000,
  /** Parts of a multi-geometry, rings of a polygon, members of a GeometryCollection. */
  MAX_GEOMETRY_PARTS: 1000,
  /** GeometryCollections do not nest (RFC 7946 §3.1.8 discourages it): one level only. */
  MAX_GEOMETRY_COLLECTION_DEPTH: 1,
  /** Keys and array items in one feature's properties, every depth counted. */
  MAX_PROPERTY_KEYS: 200,
  MAX_PROPERTY_KEY_CHARS: 256,
  /** Objects and arrays inside properties nest at most this deep. */
  MAX_PROPERTY_DEPTH: 8,
  /** Size of one feature's properties as JSON text (approximately: UTF-16 units). */
  MAX_PROPERTIES_BYTES: 16 * 1024,
  /** simplestyle `stroke-width`, in pixels. */
  MAX_STROKE_WIDTH: 100,
  /**
   * Features in one `features.import` op, ids in one `features.delete` (equal, so the undo of an
   * import is always one op). A chunk must also fit in one frame: the client packs by bytes.
   */
  MAX_IMPORT_FEATURES_PER_OP: 1000,
  MAX_DELETE_IDS_PER_OP: 1000,
  /** Largest range a client may ask for in one `sync`. */
  MAX_SYNC_RANGE: 1000,
  MAX_URL_CHARS: 2048,
  /** Live-feed layers on one map (each costs the server a subscription). */
  MAX_LAYERS_PER_MAP: 20,
  /** User layers on one map (a list a person can still scan). */
  MAX_USER_LAYERS_PER_MAP: 100,
  /** A user layer's `order` stays within ±this (midpoints between neighbours keep it finite). */
  MAX_LAYER_ORDER: 1e9,
  /** Feed entries carried by one `layer.entries` op. */
  MAX_LAYER_ENTRIES_PER_OP: 100,
  /**
   * A share key (edit or view link secret). Keys are 43 characters (32 random bytes, base64url);
   * the bound only refuses junk before it reaches the database.
   */
  MAX_SHARE_KEY_CHARS: 128,
  /**
   * Target size of one `snapshotChunk` frame (a feature is never split, so one bigger feature makes
   * a bigger chunk). A snapshot that fits in one goes out as a single `snapshot` message.
   */
  SNAPSHOT_CHUNK_BYTES: 64 * 1024,
  /** Most map ids one `GET /api/maps?ids=` may ask about. */
  MAX_LISTED_MAPS: 100,
} as const;
