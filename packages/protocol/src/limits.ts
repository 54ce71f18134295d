/** Limits that both ends agree on; the server enforces them, the client checks before sending. */
export const LIMITS = {
  MAX_FRAME_BYTES: 64 * 1024,
  MAX_ID_CHARS: 64,
  MAX_NAME_CHARS: 80,
  MAX_TITLE_CHARS: 200,
  MAX_DESCRIPTION_CHARS: 5000,
  MAX_ICON_CHARS: 32,
  MAX_LINE_VERTICES: 5000,
  MAX_POLYGON_RINGS: 50,
  MAX_POLYGON_VERTICES: 5000,
  /** Largest range a client may ask for in one `sync`. */
  MAX_SYNC_RANGE: 1000,
  MAX_URL_CHARS: 2048,
  /** Live-feed layers on one map. */
  MAX_LAYERS_PER_MAP: 20,
  /** Feed entries carried by one `layer.entries` op. */
  MAX_LAYER_ENTRIES_PER_OP: 100,
  /**
   * A share key (edit or view link secret). Keys are 43 characters (32 random bytes, base64url);
   * the bound only refuses junk before it reaches the database.
   */
  MAX_SHARE_KEY_CHARS: 128,
  /** Most map ids one `GET /api/maps?ids=` may ask about. */
  MAX_LISTED_MAPS: 100,
} as const;
