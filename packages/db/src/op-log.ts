import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalJson, ErrorCode, MeridianError, type Op, type OpRecord } from '@meridian/protocol';
import { applyBulkToRows } from './bulk.ts';
import type { Database } from './client.ts';
import { FeatureRun, isSingleOp, type SingleOp } from './feature-run.ts';
import type { Prisma } from './generated/prisma/client.ts';
import { applyLayerOpToRows } from './layers.ts';
import { MapBatcher } from './map-batcher.ts';
import { opRecordFromRow } from './rows.ts';
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
  if (canonicalJson(stored.payload) !== canonicalJson(op)) {
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
  if (
    op.kind === 'layer.add' ||
    op.kind === 'layer.update' ||
    op.kind === 'layer.remove' ||
    op.kind === 'layer.entries'
  ) {
    const refused = await applyLayerOpToRows(tx, map.id, seq, op, at);
    return refused ? reject(refused.code, refused.message) : null;
  }
  if (op.kind === 'features.import' || op.kind === 'features.delete') {
    const refused = await applyBulkToRows(tx, map, seq, op, at);
    return refused ? reject(refused.code, refused.message) : null;
  }
  const run = await FeatureRun.read(tx, map, [op]);
  const refused = run.apply(op, seq, at);
  if (refused) return reject(refused.code, refused.message);
  await run.write(tx);
  if (op.kind === 'map.rename') await tx.map.update({ where: { id: map.id }, data: { name: map.name } });
  return null;
}

/** Ops of one map committed in one transaction at most; bounds how long a group holds the row lock. */
const MAX_GROUP_OPS = 64;

/** An op's answer, or what committing it threw. */
type Settled = { ok: true; result: CommitResult | UnknownOutcome } | { ok: false; error: unknown };

/** A commit that failed without saying whether it happened. */
interface UnknownOutcome {
  status: 'unknown';
  failure: unknown;
}

const batchers = new WeakMap<Database, MapBatcher<CommitOpInput, Settled>>();

function batcherOf(db: Database): MapBatcher<CommitOpInput, Settled> {
  let batcher = batchers.get(db);
  if (!batcher) {
    batcher = new MapBatcher((mapId, inputs) => commitBatch(db, mapId, inputs), MAX_GROUP_OPS);
    batchers.set(db, batcher);
  }
  return batcher;
}

/**
 * Commits one durable op: takes the map's next seq, applies the op to the features, appends it to
 * the op log, in one transaction. The map's row lock makes writers of one map take turns, so seqs
 * are gap-free and ops apply in seq order; a rejected op changes nothing and consumes no seq.
 * Retrying the same (clientId, opId) returns the original record.
 *
 * Group commit: the ops of one map wait here for their turn (not in the connection pool, whose wait
 * is bounded), one transaction of a map at a time. An op that finds its map idle commits at once,
 * alone; the ops that arrived meanwhile commit together in the next transaction, each with the
 * answer it would have had alone, so a busy map pays one round of BEGIN/COMMIT and one durable
 * flush per group instead of per op. Throws MeridianError(STORAGE_UNAVAILABLE) when the database
 * fails (see resolveOutcome for a commit whose answer was lost).
 */
export async function commitOp(db: Database, input: CommitOpInput): Promise<CommitResult> {
  const settled = await batcherOf(db).submit(input.mapId, input);
  if (!settled.ok) throw settled.error;
  // Resolved outside the map's turn, so its next ops are not held up by a failed one's lookups.
  return settled.result.status === 'unknown'
    ? resolveOutcome(db, input, settled.result.failure)
    : settled.result;
}

async function commitBatch(db: Database, mapId: string, inputs: CommitOpInput[]): Promise<Settled[]> {
  if (inputs.length > 1) {
    try {
      const results = await commitGroup(db, mapId, inputs);
      return results.map((result) => ({ ok: true, result }));
    } catch {
      // One by one: each op gets its own answer (and a lost answer its own resolution).
    }
  }
  const settled: Settled[] = [];
  for (const input of inputs) {
    settled.push(
      await commitAlone(db, input).then(
        (result) => ({ ok: true, result }) as const,
        (error: unknown) => ({ ok: false, error }) as const,
      ),
    );
  }
  return settled;
}

/** An op-log row as retryResult reads it. */
type StoredOp = Parameters<typeof opRecordFromRow>[0];

/**
 * Applies the op to the feature rows at `seq`, unless the op log already holds its id (`stored`,
 * read under the map's row lock: an earlier attempt has either committed or not started, so a
 * concurrent retry cannot apply it twice). Writes nothing unless it answers committed; the caller
 * appends the op-log row.
 */
async function applyUnlessStored(
  tx: Prisma.TransactionClient,
  map: { id: string; name: string },
  seq: number,
  input: CommitOpInput,
  stored: StoredOp | null | undefined,
): Promise<CommitResult> {
  if (stored) return retryResult(stored, input.op);
  const at = new Date(input.now ?? Date.now());
  const rejection = await applyToRows(tx, map, seq, input.op, at);
  return rejection ?? committedAt(input, seq, at);
}

function committedAt(input: CommitOpInput, seq: number, at: Date): CommitResult {
  return {
    status: 'committed',
    record: { seq, opId: input.opId, clientId: input.clientId, op: input.op, at: at.getTime() },
  };
}

/**
 * Appends committed records to the op log in one statement. Raw SQL with the rows as one JSON
 * parameter: Prisma's create/createMany walk every value of the payload in JavaScript, which for an
 * import chunk (tens of KiB of coordinates) cost more than the database's work (profiled).
 */
async function insertOpRows(tx: Prisma.TransactionClient, mapId: string, records: OpRecord[]): Promise<void> {
  const rows = JSON.stringify(
    records.map((record) => ({
      seq: record.seq,
      clientId: record.clientId,
      opId: record.opId,
      kind: record.op.kind,
      payload: record.op,
      // UTC, as Prisma stores DateTime in a `timestamp` column (the zone suffix is ignored there).
      createdAt: new Date(record.at).toISOString(),
    })),
  );
  await tx.$executeRaw`
    INSERT INTO "Op" ("mapId", seq, "clientId", "opId", kind, payload, "createdAt")
    SELECT ${mapId}, r.seq, r."clientId", r."opId", r.kind, r.payload, r."createdAt"
    FROM jsonb_to_recordset(${rows}::jsonb)
      AS r(seq int, "clientId" text, "opId" text, kind text, payload jsonb, "createdAt" timestamp(3))`;
}

const opKey = (input: { clientId: string; opId: string }) => `${input.clientId}\u0000${input.opId}`;

/** The op-log rows of the group's op ids, in one statement. */
function findStoredOps(tx: Prisma.TransactionClient, mapId: string, inputs: CommitOpInput[]) {
  const keys = JSON.stringify(inputs.map(({ clientId, opId }) => ({ clientId, opId })));
  return tx.$queryRaw<StoredOp[]>`
    SELECT o.seq, o."opId", o."clientId", o.payload, o."createdAt" FROM "Op" o
    JOIN jsonb_to_recordset(${keys}::jsonb) AS k("clientId" text, "opId" text)
      ON o."clientId" = k."clientId" AND o."opId" = k."opId"
    WHERE o."mapId" = ${mapId}`;
}

/** The single ops from `inputs[from]` up to the next op that is not one. */
function singleOpsFrom(inputs: CommitOpInput[], from: number): SingleOp[] {
  const ops: SingleOp[] = [];
  for (const { op } of inputs.slice(from)) {
    if (!isSingleOp(op)) break;
    ops.push(op);
  }
  return ops;
}

/**
 * Several ops of one map in one transaction, in order; throws if the transaction fails. The op ids
 * are looked up once for the whole group; a run of single ops is applied in memory (FeatureRun: one
 * read and one write of feature rows for the run), a layer or bulk op through its own rows; the
 * op-log rows are inserted together at the end (nothing in between reads them). So a group of single
 * ops costs the same few statements whatever its size.
 */
async function commitGroup(db: Database, mapId: string, inputs: CommitOpInput[]): Promise<CommitResult[]> {
  return db.prisma.$transaction(async (tx) => {
    const [map] = await tx.$queryRaw<{ seq: number; name: string }[]>`
      SELECT seq, name FROM "Map" WHERE id = ${mapId} FOR UPDATE`;
    if (!map) return inputs.map(() => reject(ErrorCode.MAP_NOT_FOUND, `no map ${mapId}`));
    const storedRows = await findStoredOps(tx, mapId, inputs);
    const stored = new Map<string, StoredOp>(storedRows.map((row) => [opKey(row), row]));
    const current = { id: mapId, name: map.name };
    let seq = map.seq;
    let run: FeatureRun | undefined;
    const committed: OpRecord[] = [];
    const results: CommitResult[] = [];
    for (const [i, input] of inputs.entries()) {
      const known = stored.get(opKey(input));
      let result: CommitResult;
      if (known) {
        result = retryResult(known, input.op);
      } else if (isSingleOp(input.op)) {
        run ??= await FeatureRun.read(tx, current, singleOpsFrom(inputs, i));
        const at = new Date(input.now ?? Date.now());
        const refused = run.apply(input.op, seq + 1, at);
        result = refused ? reject(refused.code, refused.message) : committedAt(input, seq + 1, at);
      } else {
        // A layer or bulk op reads the feature rows from the database: the run's changes go first.
        await run?.write(tx);
        run = undefined;
        result = await applyUnlessStored(tx, current, seq + 1, input, undefined);
      }
      if (result.status === 'committed') {
        const { record } = result;
        seq = record.seq;
        committed.push(record);
        // A later op of the group with the same id is its retry.
        stored.set(opKey(input), { ...record, payload: input.op, createdAt: new Date(record.at) });
      }
      results.push(result);
    }
    await run?.write(tx);
    const last = committed.at(-1);
    if (last) {
      await insertOpRows(tx, mapId, committed);
      await tx.$executeRaw`
        UPDATE "Map" SET seq = ${last.seq}, name = ${current.name}, "updatedAt" = ${new Date(last.at)}
        WHERE id = ${mapId}`;
    }
    return results;
  });
}

async function commitAlone(db: Database, input: CommitOpInput): Promise<CommitResult | UnknownOutcome> {
  const at = new Date(input.now ?? Date.now());
  try {
    return await db.prisma.$transaction(async (tx) => {
      const [map] = await tx.$queryRaw<{ seq: number; name: string }[]>`
        UPDATE "Map" SET seq = seq + 1, "updatedAt" = ${at}
        WHERE id = ${input.mapId} RETURNING seq, name`;
      if (!map) throw new RollBack(reject(ErrorCode.MAP_NOT_FOUND, `no map ${input.mapId}`));
      const stored = await findOp(tx, input);
      const result = await applyUnlessStored(tx, { id: input.mapId, name: map.name }, map.seq, input, stored);
      // Anything but a commit gives the seq back.
      if (result.status !== 'committed') throw new RollBack(result);
      await insertOpRows(tx, input.mapId, [result.record]);
      return result;
    });
  } catch (error) {
    if (error instanceof RollBack) return error.result;
    if (error instanceof MeridianError && error.code !== ErrorCode.STORAGE_UNAVAILABLE) throw error;
    if (isUniqueViolation(error)) {
      // Another attempt of the same op committed first; answer as its retry.
      const stored = await withStorage('reading a committed op', () => findOp(db.prisma, input));
      if (stored) return retryResult(stored, input.op);
    }
    return { status: 'unknown', failure: error };
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
