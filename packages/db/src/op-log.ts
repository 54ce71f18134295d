import { setTimeout as sleep } from 'node:timers/promises';
import {
  applyOp,
  createMapState,
  ErrorCode,
  MeridianError,
  type Op,
  type OpRecord,
} from '@meridian/protocol';
import type { Database } from './client.ts';
import type { Prisma } from './generated/prisma/client.ts';
import { jsonEqual } from './json-equal.ts';
import { applyLayerOpToRows } from './layers.ts';
import { MapQueue } from './map-queue.ts';
import { featureFromRow, opRecordFromRow } from './rows.ts';
import { isUniqueViolation, storageUnavailable, withStorage } from './storage-errors.ts';

export interface CommitOpInput {
  mapId: string;
  clientId: string;
  opId: string;
  op: Op;
  /** Commit time in ms since the epoch; defaults to now. */
  now?: number;
}

export type CommitResult =
  | { status: 'committed'; record: OpRecord }
  /** The same (clientId, opId) was committed before: this is its original record, nothing changed. */
  | { status: 'duplicate'; record: OpRecord }
  | { status: 'rejected'; code: ErrorCode; message: string };

type Rejection = Extract<CommitResult, { status: 'rejected' }>;

/** Carries a result out of the transaction callback so Prisma rolls the transaction back. */
class RollBack extends Error {
  constructor(readonly result: CommitResult) {
    super('rolled back');
  }
}

/** The Postgres `integer` that `seq` is stored in. */
const MAX_SEQ = 2_147_483_647;

function reject(code: ErrorCode, message: string): Rejection {
  return { status: 'rejected', code, message };
}

/** A retry of a committed op gets its original record; the same op id with another op is refused. */
function retryResult(stored: Parameters<typeof opRecordFromRow>[0], op: Op): CommitResult {
  if (!jsonEqual(stored.payload, op)) {
    return reject(ErrorCode.OP_ID_REUSED, `op id ${stored.opId} was already used for a different op`);
  }
  return { status: 'duplicate', record: opRecordFromRow(stored) };
}

function findOp(tx: Prisma.TransactionClient | Database['prisma'], input: CommitOpInput) {
  return tx.op.findUnique({
    where: { mapId_clientId_opId: { mapId: input.mapId, clientId: input.clientId, opId: input.opId } },
  });
}

/**
 * Applies `op` to the feature rows the way protocol `applyOp` applies it to a client's state, with
 * one stricter rule: a create may not reuse the id of a deleted feature (its tombstone stays).
 * Layer ops are in layers.ts.
 */
async function applyToRows(
  tx: Prisma.TransactionClient,
  map: { id: string; name: string },
  seq: number,
  op: Op,
  at: Date,
): Promise<Rejection | null> {
  if (op.kind === 'layer.add' || op.kind === 'layer.remove' || op.kind === 'layer.entries') {
    const refused = await applyLayerOpToRows(tx, map.id, seq, op, at);
    return refused ? reject(refused.code, refused.message) : null;
  }
  const featureId = op.kind === 'map.rename' ? null : op.kind === 'feature.create' ? op.feature.id : op.id;
  const row = featureId
    ? await tx.feature.findUnique({ where: { mapId_id: { mapId: map.id, id: featureId } } })
    : null;
  if (op.kind === 'feature.create' && row) {
    return reject(
      ErrorCode.FEATURE_EXISTS,
      `feature ${row.id} already exists${row.deleted ? ' (deleted)' : ''}`,
    );
  }
  const state = createMapState(map.name, row && !row.deleted ? [featureFromRow(row)] : []);
  const result = applyOp(state, op);
  if (!result.ok) return reject(result.code, result.message);

  if (op.kind === 'map.rename') {
    await tx.map.update({ where: { id: map.id }, data: { name: state.name } });
  } else if (result.feature && row) {
    await tx.feature.update({
      where: { mapId_id: { mapId: map.id, id: row.id } },
      data: {
        geometry: result.feature.geometry,
        properties: result.feature.properties,
        version: result.feature.version,
        updatedSeq: seq,
        updatedAt: at,
      },
    });
  } else if (result.feature) {
    await tx.feature.create({
      data: {
        mapId: map.id,
        id: result.feature.id,
        geometry: result.feature.geometry,
        properties: result.feature.properties,
        version: result.feature.version,
        createdSeq: seq,
        updatedSeq: seq,
        createdAt: at,
        updatedAt: at,
      },
    });
  } else if (result.removed && row) {
    await tx.feature.update({
      where: { mapId_id: { mapId: map.id, id: row.id } },
      data: { deleted: true, version: row.version + 1, updatedSeq: seq, updatedAt: at },
    });
  }
  return null;
}

/**
 * Commits of one map in the database at once. Two, not one: the next transaction is begun while the
 * current one holds the row lock, so the map's commits follow each other without a gap.
 */
const COMMITS_IN_FLIGHT_PER_MAP = 2;
const commitQueues = new WeakMap<Database, MapQueue>();

function commitQueue(db: Database): MapQueue {
  let queue = commitQueues.get(db);
  if (!queue) {
    queue = new MapQueue(COMMITS_IN_FLIGHT_PER_MAP);
    commitQueues.set(db, queue);
  }
  return queue;
}

/**
 * Commits one durable op: takes the map's next seq, applies the op to the features, appends it to
 * the op log, all in one transaction. The `UPDATE "Map" … RETURNING seq` row lock makes writers of
 * one map take turns, so seqs are gap-free and ops apply in seq order; a rejected op rolls back and
 * does not consume a seq. Retrying the same (clientId, opId) returns the original record.
 * Throws MeridianError(STORAGE_UNAVAILABLE) when the database fails.
 */
export function commitOp(db: Database, input: CommitOpInput): Promise<CommitResult> {
  // The commits of one map queue here rather than in the connection pool, whose wait is bounded: a
  // busy map waits its turn without being refused or taking every connection from other maps.
  return commitQueue(db).run(input.mapId, () => commitNow(db, input));
}

async function commitNow(db: Database, input: CommitOpInput): Promise<CommitResult> {
  const at = new Date(input.now ?? Date.now());
  try {
    return await db.prisma.$transaction(async (tx) => {
      const [map] = await tx.$queryRaw<{ seq: number; name: string }[]>`
        UPDATE "Map" SET seq = seq + 1, "updatedAt" = ${at}
        WHERE id = ${input.mapId} RETURNING seq, name`;
      if (!map) throw new RollBack(reject(ErrorCode.MAP_NOT_FOUND, `no map ${input.mapId}`));
      // Read under the map's row lock: an earlier attempt of this op has either committed (found
      // here) or not started, so a concurrent retry cannot apply the op twice.
      const stored = await findOp(tx, input);
      if (stored) throw new RollBack(retryResult(stored, input.op));

      const rejection = await applyToRows(tx, { id: input.mapId, name: map.name }, map.seq, input.op, at);
      if (rejection) throw new RollBack(rejection);
      await tx.op.create({
        data: {
          mapId: input.mapId,
          seq: map.seq,
          clientId: input.clientId,
          opId: input.opId,
          kind: input.op.kind,
          payload: input.op,
          createdAt: at,
        },
      });
      const record: OpRecord = {
        seq: map.seq,
        opId: input.opId,
        clientId: input.clientId,
        op: input.op,
        at: at.getTime(),
      };
      return { status: 'committed', record };
    });
  } catch (error) {
    if (error instanceof RollBack) return error.result;
    if (error instanceof MeridianError && error.code !== ErrorCode.STORAGE_UNAVAILABLE) throw error;
    if (isUniqueViolation(error)) {
      // Another attempt of the same op committed first; answer as its retry.
      const stored = await withStorage('reading a committed op', () => findOp(db.prisma, input));
      if (stored) return retryResult(stored, input.op);
    }
    return resolveOutcome(db, input, error);
  }
}

/** When the op log is asked again after a failed commit; past the last, the outcome is unknown. */
const OUTCOME_LOOKUP_DELAYS_MS = [0, 250, 1_000, 2_000];
/** A lookup waits this long at most for a writer still holding the map's row lock. */
const OUTCOME_LOOKUP_LOCK_TIMEOUT = '2s';

/**
 * The op log after every writer of the map has finished: under the map's row lock (FOR SHARE waits
 * for a transaction that updated the row, such as one whose COMMIT is still being processed), so
 * "not found" means that no attempt of this op committed or ever will.
 */
function findOpAfterWriters(db: Database, input: CommitOpInput) {
  return db.prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT set_config('lock_timeout', ${OUTCOME_LOOKUP_LOCK_TIMEOUT}, true)`;
    await tx.$queryRaw`SELECT 1 FROM "Map" WHERE id = ${input.mapId} FOR SHARE`;
    return findOp(tx, input);
  });
}

/**
 * A commit failed in a way that does not say whether it happened: the connection may have dropped
 * after COMMIT was sent, with the op committed and only the answer lost. The op log decides, by op
 * id: found, the op is committed and answered as such (never "not committed" for an op that other
 * clients will receive); provably absent, STORAGE_UNAVAILABLE; the database still unreachable after
 * a few tries, STORAGE_UNAVAILABLE saying the outcome is unknown. Both are transient: the client
 * retries with the same op id, which the op log deduplicates.
 */
async function resolveOutcome(db: Database, input: CommitOpInput, failure: unknown): Promise<CommitResult> {
  for (const delayMs of OUTCOME_LOOKUP_DELAYS_MS) {
    if (delayMs > 0) await sleep(delayMs);
    let stored: Awaited<ReturnType<typeof findOpAfterWriters>>;
    try {
      stored = await findOpAfterWriters(db, input);
    } catch {
      continue;
    }
    if (!stored) throw storageUnavailable('committing an op (not committed)', failure);
    const result = retryResult(stored, input.op);
    return result.status === 'duplicate' ? { status: 'committed', record: result.record } : result;
  }
  throw storageUnavailable(
    'committing an op: outcome unknown (the database did not answer again; retry with the same op id)',
    failure,
  );
}

/** The committed ops of a map with `fromSeq <= seq <= toSeq`, in seq order. */
export async function readOps(
  db: Database,
  mapId: string,
  fromSeq: number,
  toSeq: number,
): Promise<OpRecord[]> {
  if (!Number.isSafeInteger(fromSeq) || !Number.isSafeInteger(toSeq)) {
    throw new MeridianError(ErrorCode.INVALID_MESSAGE, 'seq bounds must be integers');
  }
  const from = Math.max(fromSeq, 1);
  const to = Math.min(toSeq, MAX_SEQ);
  if (to < from) return [];
  const rows = await withStorage('reading ops', () =>
    db.prisma.op.findMany({
      where: { mapId, seq: { gte: from, lte: to } },
      orderBy: { seq: 'asc' },
      select: { seq: true, opId: true, clientId: true, payload: true, createdAt: true },
    }),
  );
  return rows.map(opRecordFromRow);
}
