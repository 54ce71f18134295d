import { applyOp, createMapState, ErrorCode, type Feature, type Op, opReadsLayers } from '@meridian/protocol';
import type { Prisma } from './generated/prisma/client.ts';
import { liveLayerRows } from './layers.ts';
import { layerFromRow } from './rows.ts';

type BulkOp = Extract<Op, { kind: 'features.import' | 'features.delete' }>;

export interface BulkRejection {
  code: ErrorCode;
  message: string;
}

/**
 * Applies a bulk op to the feature rows at `seq` with one read and one write statement whatever
 * its size: an import reads which of its ids exist (tombstones included: ids are never reused,
 * as for `feature.create`) and inserts every row in one INSERT … SELECT from jsonb_to_recordset; a delete marks the
 * live listed rows deleted in one UPDATE. The rules are protocol `applyOp`'s.
 */
export async function applyBulkToRows(
  tx: Prisma.TransactionClient,
  map: { id: string; name: string },
  seq: number,
  op: BulkOp,
  at: Date,
): Promise<BulkRejection | null> {
  return op.kind === 'features.import' ? importRows(tx, map, seq, op, at) : deleteRows(tx, map, seq, op, at);
}

async function importRows(
  tx: Prisma.TransactionClient,
  map: { id: string; name: string },
  seq: number,
  op: Extract<BulkOp, { kind: 'features.import' }>,
  at: Date,
): Promise<BulkRejection | null> {
  const ids = JSON.stringify(op.features.map((f) => f.id));
  const taken = await tx.$queryRaw<{ id: string; deleted: boolean }[]>`
    SELECT id, deleted FROM "Feature"
    WHERE "mapId" = ${map.id} AND id IN (SELECT jsonb_array_elements_text(${ids}::jsonb))
    LIMIT 1`;
  if (taken[0]) {
    return {
      code: ErrorCode.FEATURE_EXISTS,
      message: `feature ${taken[0].id} already exists${taken[0].deleted ? ' (deleted)' : ''}`,
    };
  }
  // None of the ids is on the map, so the state applyOp needs has no features (it still refuses
  // an id repeated within the op); the layers only when a feature names one.
  const layers = opReadsLayers(op) ? (await liveLayerRows(tx, map.id)).map(layerFromRow) : [];
  const state = createMapState(map.name, [], layers);
  const result = applyOp(state, op);
  if (!result.ok) return { code: result.code, message: result.message };
  // One parameter of JSON text unpacked by Postgres: Prisma's createMany builds and checks every
  // field of every row in JavaScript, which was most of a chunk's commit time (profiled).
  const rows = JSON.stringify(
    (result.upserted ?? []).map((f) => ({
      id: f.id,
      geometry: f.geometry,
      properties: f.properties,
      version: f.version,
    })),
  );
  await tx.$executeRaw`
    INSERT INTO "Feature"
      ("mapId", id, geometry, properties, version, "createdSeq", "updatedSeq", "createdAt", "updatedAt")
    SELECT ${map.id}, r.id, r.geometry, r.properties, r.version, ${seq}, ${seq}, ${at}, ${at}
    FROM jsonb_to_recordset(${rows}::jsonb) AS r(id text, geometry jsonb, properties jsonb, version int)`;
  return null;
}

async function deleteRows(
  tx: Prisma.TransactionClient,
  map: { id: string; name: string },
  seq: number,
  op: Extract<BulkOp, { kind: 'features.delete' }>,
  at: Date,
): Promise<BulkRejection | null> {
  const ids = JSON.stringify(op.ids);
  const live = await tx.$queryRaw<{ id: string; version: number }[]>`
    SELECT id, version FROM "Feature"
    WHERE "mapId" = ${map.id} AND deleted = false
      AND id IN (SELECT jsonb_array_elements_text(${ids}::jsonb))`;
  // A delete reads only which features exist, so stand-ins carry just their ids.
  const state = createMapState(
    map.name,
    live.map((row) => ({ id: row.id, version: row.version }) as Feature),
  );
  const result = applyOp(state, op);
  if (!result.ok) return { code: result.code, message: result.message };
  const removed = JSON.stringify(result.removedMany ?? []);
  await tx.$executeRaw`
    UPDATE "Feature" SET deleted = true, version = version + 1, "updatedSeq" = ${seq}, "updatedAt" = ${at}
    WHERE "mapId" = ${map.id} AND deleted = false
      AND id IN (SELECT jsonb_array_elements_text(${removed}::jsonb))`;
  return null;
}
