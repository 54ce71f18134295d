import type { Layer } from '@meridian/protocol';
import type { Database } from './client.ts';
import type { ScriptTransaction } from './drivers/script-transaction.ts';
import { layerFromRow } from './rows.ts';
import { withStorage } from './storage-errors.ts';

/** What a joiner is told before the features: the map, the seq the features are at, how many, the layers. */
export interface SnapshotHead {
  map: { id: string; name: string };
  /** The features are exactly the state after the op with this seq. */
  seq: number;
  /** How many live features the pages will hold. */
  featureCount: number;
  /** The live layers, in the order they were added. */
  layers: Layer[];
}

/**
 * Told the snapshot as it is read: the head once, then each page of features in order. A promise
 * returned is awaited before the next page is read (the transaction stays open meanwhile); a
 * throw ends the read (rolled back) with that error.
 */
export interface SnapshotPageSink {
  head(head: SnapshotHead): void | Promise<void>;
  /** The next features in snapshot order, each the JSON text of one protocol `Feature`. */
  page(featureTexts: string[]): void | Promise<void>;
}

export interface SnapshotPageSizes {
  /** Rows in the first page: small, so the first chunk leaves soon. */
  firstRows: number;
  /** Pages grow by doubling up to this many rows. */
  maxRows: number;
}

export const SNAPSHOT_PAGE_ROWS: SnapshotPageSizes = { firstRows: 256, maxRows: 4096 };

/**
 * Each live feature as the JSON text of a protocol `Feature` (the keys in the order
 * `JSON.stringify` of a parsed one gives them), built by the database so the node neither builds a
 * row object nor parses and re-stringifies the feature. The geometry and properties are the stored
 * jsonb as Postgres prints it (`{"a": 1, "b": [1, 2]}`): the same values, ~6 % more bytes than
 * `JSON.stringify` gives. The order is the order features were created (`id` breaks the ties of one
 * bulk import), which is the draw order; the index on (mapId, createdSeq, id) gives it without
 * sorting the whole map before the first page.
 */
const FEATURE_TEXTS_SQL = `SELECT '{"type":"Feature","id":' || to_json("id")::text
    || ',"geometry":' || "geometry"::text
    || ',"properties":' || "properties"::text
    || ',"version":' || "version"::text || '}' AS "f"
  FROM "Feature" WHERE "mapId" = $1 AND NOT "deleted"
  ORDER BY "createdSeq", "id"`;

const CURSOR = 'meridian_snapshot';

/**
 * Reads a map's snapshot (its live layers and features, and the seq they are at) in pages, telling
 * `sink` each page as it arrives, inside one read-only repeatable-read transaction so every page is
 * of the same state as the seq, whatever commits meanwhile. On Postgres that holds one pooled
 * connection and no locks a writer waits for. Embedded PGlite has a single connection, so its
 * writers wait while the pages are read (they are read as fast as the sink takes them: the
 * realtime node buffers them rather than pacing the read by its slowest joiner).
 *
 * Resolves true once every page was told, false (nothing told) when the map does not exist.
 * Throws MeridianError(STORAGE_UNAVAILABLE) when storage fails, or what the sink threw.
 */
export function readSnapshotPages(
  db: Database,
  mapId: string,
  sink: SnapshotPageSink,
  sizes: SnapshotPageSizes = SNAPSHOT_PAGE_ROWS,
): Promise<boolean> {
  return withStorage('reading a snapshot', () =>
    db.scriptTransaction(async (tx) => {
      await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const head = await readHead(tx, mapId);
      if (!head) return false;
      await sink.head(head);
      if (head.featureCount === 0) return true;
      await tx.query(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${FEATURE_TEXTS_SQL}`, [mapId]);
      let rows = sizes.firstRows;
      for (;;) {
        const page = await tx.query<{ f: string }>(`FETCH ${rows} FROM ${CURSOR}`);
        if (page.length > 0) await sink.page(page.map((row) => row.f));
        if (page.length < rows) break;
        rows = Math.min(rows * 2, sizes.maxRows);
      }
      await tx.exec(`CLOSE ${CURSOR}`);
      return true;
    }),
  );
}

async function readHead(tx: ScriptTransaction, mapId: string): Promise<SnapshotHead | null> {
  const [map] = await tx.query<{ id: string; name: string; seq: number }>(
    'SELECT "id", "name", "seq" FROM "Map" WHERE "id" = $1',
    [mapId],
  );
  if (!map) return null;
  const [count] = await tx.query<{ n: number }>(
    'SELECT count(*)::int AS "n" FROM "Feature" WHERE "mapId" = $1 AND NOT "deleted"',
    [mapId],
  );
  const layers = await tx.query<Parameters<typeof layerFromRow>[0]>(
    `SELECT "id", "kind"::text AS "kind", "url", "name", "order", "style" FROM "Layer"
      WHERE "mapId" = $1 AND NOT "deleted" ORDER BY "createdSeq"`,
    [mapId],
  );
  return {
    map: { id: map.id, name: map.name },
    seq: map.seq,
    featureCount: count?.n ?? 0,
    layers: layers.map(layerFromRow),
  };
}
