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
 * as for `feature.create`) and inserts every row in one multi-row INSERT; a delete marks the
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
  const taken = await tx.feature.findFirst({
    where: { mapId: map.id, id: { in: op.features.map((f) => f.id) } },
    select: { id: true, deleted: true },
  });
  if (taken) {
    return {
      code: ErrorCode.FEATURE_EXISTS,
      message: `feature ${taken.id} already exists${taken.deleted ? ' (deleted)' : ''}`,
    };
  }
  // None of the ids is on the map, so the state applyOp needs has no features (it still refuses
  // an id repeated within the op); the layers only when a feature names one.
  const layers = opReadsLayers(op) ? (await liveLayerRows(tx, map.id)).map(layerFromRow) : [];
  const state = createMapState(map.name, [], layers);
  const result = applyOp(state, op);
  if (!result.ok) return { code: result.code, message: result.message };
  await tx.feature.createMany({
    data: (result.upserted ?? []).map((feature) => ({
      mapId: map.id,
      id: feature.id,
      geometry: feature.geometry,
      properties: feature.properties,
      version: feature.version,
      createdSeq: seq,
      updatedSeq: seq,
      createdAt: at,
      updatedAt: at,
    })),
  });
  return null;
}

async function deleteRows(
  tx: Prisma.TransactionClient,
  map: { id: string; name: string },
  seq: number,
  op: Extract<BulkOp, { kind: 'features.delete' }>,
  at: Date,
): Promise<BulkRejection | null> {
  const live = await tx.feature.findMany({
    where: { mapId: map.id, id: { in: op.ids }, deleted: false },
    select: { id: true, version: true },
  });
  // A delete reads only which features exist, so stand-ins carry just their ids.
  const state = createMapState(
    map.name,
    live.map((row) => ({ id: row.id, version: row.version }) as Feature),
  );
  const result = applyOp(state, op);
  if (!result.ok) return { code: result.code, message: result.message };
  await tx.feature.updateMany({
    where: { mapId: map.id, id: { in: result.removedMany ?? [] }, deleted: false },
    data: { deleted: true, version: { increment: 1 }, updatedSeq: seq, updatedAt: at },
  });
  return null;
}
