import {
  applyOp,
  createMapState,
  ErrorCode,
  type MapState,
  type Op,
  opReadsLayers,
} from '@meridian/protocol';
import type { Prisma } from './generated/prisma/client.ts';
import { liveLayerRows } from './layers.ts';
import { featureFromRow, layerFromRow } from './rows.ts';

/** The ops that change one feature (or the map's name): a run of them is applied in memory. */
export type SingleOp = Extract<
  Op,
  { kind: 'feature.create' | 'feature.update' | 'feature.move' | 'feature.delete' | 'map.rename' }
>;

export function isSingleOp(op: Op): op is SingleOp {
  switch (op.kind) {
    case 'feature.create':
    case 'feature.update':
    case 'feature.move':
    case 'feature.delete':
    case 'map.rename':
      return true;
    default:
      return false;
  }
}

function featureIdOf(op: SingleOp): string | null {
  if (op.kind === 'map.rename') return null;
  return op.kind === 'feature.create' ? op.feature.id : op.id;
}

export interface RunRejection {
  code: ErrorCode;
  message: string;
}

/**
 * A feature row as the run holds it. `geometry` and `properties` stay as read until an op changes
 * them, so a tombstoned row is written back with the JSON it had.
 */
interface FeatureRow {
  id: string;
  geometry: Prisma.JsonValue;
  properties: Prisma.JsonValue;
  version: number;
  deleted: boolean;
  createdSeq: number;
  createdAt: Date;
  updatedSeq: number;
  updatedAt: Date;
}

type StoredRow = Omit<FeatureRow, 'updatedSeq' | 'updatedAt'>;

/**
 * A run of single ops of one map applied in memory, with a constant number of statements however
 * many ops it holds: one read of every feature row the run names (tombstones included: ids are never
 * reused), the map's layers when an op reads them, and one write of the rows that changed. Each op
 * gets the answer it would get applied alone to the rows as the ops before it left them (protocol
 * `applyOp`'s rules, plus the tombstone rule for `feature.create`), and a refused op changes nothing.
 *
 * The rows need no lock of their own: every writer of a map's features holds the map's row lock
 * first (the op log's transactions), and in READ COMMITTED the read that follows the lock sees
 * everything the previous holder committed.
 */
export class FeatureRun {
  readonly #map: { id: string; name: string };
  readonly #state: MapState;
  /** Every row the run has read or written, by id; deleted rows stay as tombstones. */
  readonly #rows: Map<string, FeatureRow>;
  readonly #changed = new Set<string>();

  private constructor(map: { id: string; name: string }, state: MapState, rows: Map<string, FeatureRow>) {
    this.#map = map;
    this.#state = state;
    this.#rows = rows;
  }

  /** Reads what `ops` will touch. `map.name` is kept current as renames apply. */
  static async read(
    tx: Prisma.TransactionClient,
    map: { id: string; name: string },
    ops: readonly SingleOp[],
  ): Promise<FeatureRun> {
    const ids = [...new Set(ops.map(featureIdOf).filter((id) => id !== null))];
    const [stored, layerRows] = await Promise.all([
      ids.length === 0 ? [] : readRows(tx, map.id, ids),
      ops.some(opReadsLayers) ? liveLayerRows(tx, map.id) : [],
    ]);
    const rows = new Map<string, FeatureRow>(
      stored.map((row) => [row.id, { ...row, updatedSeq: row.createdSeq, updatedAt: row.createdAt }]),
    );
    const state = createMapState(
      map.name,
      stored.filter((row) => !row.deleted).map(featureFromRow),
      layerRows.map(layerFromRow),
    );
    return new FeatureRun(map, state, rows);
  }

  /** Applies `op` at `seq` in memory, or says why not (then nothing changed). */
  apply(op: SingleOp, seq: number, at: Date): RunRejection | null {
    const id = featureIdOf(op);
    const row = id === null ? undefined : this.#rows.get(id);
    if (op.kind === 'feature.create' && row) {
      return {
        code: ErrorCode.FEATURE_EXISTS,
        message: `feature ${row.id} already exists${row.deleted ? ' (deleted)' : ''}`,
      };
    }
    const result = applyOp(this.#state, op);
    if (!result.ok) return { code: result.code, message: result.message };
    if (op.kind === 'map.rename') {
      this.#map.name = this.#state.name;
    } else if (result.feature) {
      const { geometry, properties, version } = result.feature;
      this.#set({
        ...(row ?? { createdSeq: seq, createdAt: at }),
        id: result.feature.id,
        geometry,
        properties,
        version,
        deleted: false,
        updatedSeq: seq,
        updatedAt: at,
      });
    } else if (result.removed && row) {
      this.#set({ ...row, deleted: true, version: row.version + 1, updatedSeq: seq, updatedAt: at });
    }
    return null;
  }

  /** Writes every row an op changed, in one statement (none when no row changed). */
  async write(tx: Prisma.TransactionClient): Promise<void> {
    if (this.#changed.size === 0) return;
    const rows = JSON.stringify(
      [...this.#changed].map((id) => {
        const row = this.#rows.get(id) as FeatureRow;
        // UTC, as Prisma stores DateTime in a `timestamp` column (the zone suffix is ignored there).
        return { ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
      }),
    );
    this.#changed.clear();
    // A row already stored keeps its createdSeq/createdAt (sent only because the proposed row must
    // satisfy NOT NULL before the conflict is found).
    await tx.$executeRaw`
      INSERT INTO "Feature"
        ("mapId", id, geometry, properties, version, deleted, "createdSeq", "updatedSeq", "createdAt", "updatedAt")
      SELECT ${this.#map.id}, r.id, r.geometry, r.properties, r.version, r.deleted,
        r."createdSeq", r."updatedSeq", r."createdAt", r."updatedAt"
      FROM jsonb_to_recordset(${rows}::jsonb) AS r(id text, geometry jsonb, properties jsonb, version int,
        deleted boolean, "createdSeq" int, "updatedSeq" int, "createdAt" timestamp(3), "updatedAt" timestamp(3))
      ON CONFLICT ("mapId", id) DO UPDATE SET
        geometry = EXCLUDED.geometry, properties = EXCLUDED.properties, version = EXCLUDED.version,
        deleted = EXCLUDED.deleted, "updatedSeq" = EXCLUDED."updatedSeq", "updatedAt" = EXCLUDED."updatedAt"`;
  }

  #set(row: FeatureRow): void {
    this.#rows.set(row.id, row);
    this.#changed.add(row.id);
  }
}

function readRows(tx: Prisma.TransactionClient, mapId: string, ids: string[]): Promise<StoredRow[]> {
  return tx.$queryRaw<StoredRow[]>`
    SELECT id, geometry, properties, version, deleted, "createdSeq", "createdAt" FROM "Feature"
    WHERE "mapId" = ${mapId} AND id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;
}
