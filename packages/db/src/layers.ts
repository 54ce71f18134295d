import {
  type ApplyResult,
  applyOp,
  createMapState,
  ErrorCode,
  type Layer,
  type Op,
} from '@meridian/protocol';
import type { Database } from './client.ts';
import type { Prisma } from './generated/prisma/client.ts';
import { featureFromRow, layerColumns, layerFromRow } from './rows.ts';
import { withStorage } from './storage-errors.ts';

type LayerOp = Extract<Op, { kind: 'layer.add' | 'layer.update' | 'layer.remove' | 'layer.entries' }>;

/** Why a layer op changed nothing; the op log turns it into a rejected commit. */
export interface LayerRejection {
  code: ErrorCode;
  message: string;
}

/** What the subscription manager remembers about a layer's feed between fetches and restarts. */
export interface FeedBookkeeping {
  /** The feed's last `ETag`, sent back as `If-None-Match`. */
  etag: string | null;
  /** The feed's last `Last-Modified`, sent back as `If-Modified-Since`. */
  lastModified: string | null;
  /** The WebSub hub the feed advertised, or null when it has none (polled). */
  hub: string | null;
  /** The topic (`rel="self"`) the feed advertised, or the fetched URL. */
  topic: string | null;
}

/** The live layers of a map (feed and user), in the order they were added. */
export async function listLayers(db: Database, mapId: string): Promise<Layer[]> {
  const rows = await withStorage('listing layers', () => liveLayerRows(db.prisma, mapId));
  return rows.map(layerFromRow);
}

export function liveLayerRows(tx: Prisma.TransactionClient | Database['prisma'], mapId: string) {
  return tx.layer.findMany({
    where: { mapId, deleted: false },
    orderBy: { createdSeq: 'asc' },
    select: layerColumns,
  });
}

/** A layer's feed bookkeeping, or null when the layer is unknown or removed. */
export async function getFeedBookkeeping(
  db: Database,
  mapId: string,
  layerId: string,
): Promise<FeedBookkeeping | null> {
  const row = await withStorage('reading feed bookkeeping', () =>
    db.prisma.layer.findUnique({
      where: { mapId_id: { mapId, id: layerId } },
      select: { deleted: true, etag: true, lastModified: true, hub: true, topic: true },
    }),
  );
  if (!row || row.deleted) return null;
  const { deleted: _deleted, ...bookkeeping } = row;
  return bookkeeping;
}

/**
 * Store what the subscription manager learnt about a layer's feed. Not an op: it is not part of
 * the map state clients replicate. False when the layer is unknown or removed.
 */
export async function updateFeedBookkeeping(
  db: Database,
  mapId: string,
  layerId: string,
  bookkeeping: Partial<FeedBookkeeping>,
): Promise<boolean> {
  const { count } = await withStorage('updating feed bookkeeping', () =>
    db.prisma.layer.updateMany({
      where: { mapId, id: layerId, deleted: false },
      data: {
        ...(bookkeeping.etag === undefined ? {} : { etag: bookkeeping.etag }),
        ...(bookkeeping.lastModified === undefined ? {} : { lastModified: bookkeeping.lastModified }),
        ...(bookkeeping.hub === undefined ? {} : { hub: bookkeeping.hub }),
        ...(bookkeeping.topic === undefined ? {} : { topic: bookkeeping.topic }),
      },
    }),
  );
  return count > 0;
}

function rejection(result: ApplyResult): LayerRejection | null {
  return result.ok ? null : { code: result.code, message: result.message };
}

/**
 * Applies a layer op to the rows inside the commit transaction. Each case loads the part of the
 * map the op reads into a protocol MapState and runs protocol `applyOp` on it, so versions and
 * properties come out exactly as in every client's replica; then writes the difference back.
 */
export async function applyLayerOpToRows(
  tx: Prisma.TransactionClient,
  mapId: string,
  seq: number,
  op: LayerOp,
  at: Date,
): Promise<LayerRejection | null> {
  switch (op.kind) {
    case 'layer.add':
      return addLayer(tx, mapId, seq, op, at);
    case 'layer.update':
      return updateLayer(tx, mapId, seq, op, at);
    case 'layer.remove':
      return removeLayer(tx, mapId, seq, op, at);
    case 'layer.entries':
      return upsertEntries(tx, mapId, seq, op, at);
  }
}

async function addLayer(
  tx: Prisma.TransactionClient,
  mapId: string,
  seq: number,
  op: Extract<LayerOp, { kind: 'layer.add' }>,
  at: Date,
): Promise<LayerRejection | null> {
  const existing = await tx.layer.findUnique({
    where: { mapId_id: { mapId, id: op.layer.id } },
    select: { deleted: true },
  });
  // Stricter than applyOp, like feature ids: a removed layer's id is never reused, so an old
  // client's late op about it cannot touch a new layer.
  if (existing) {
    return {
      code: ErrorCode.LAYER_EXISTS,
      message: `layer ${op.layer.id} already exists${existing.deleted ? ' (removed)' : ''}`,
    };
  }
  const state = createMapState('', [], (await liveLayerRows(tx, mapId)).map(layerFromRow));
  const refused = rejection(applyOp(state, op));
  if (refused) return refused;
  const layer = op.layer;
  await tx.layer.create({
    data: {
      mapId,
      id: layer.id,
      kind: layer.kind,
      name: layer.name,
      ...(layer.kind === 'feed' ? { url: layer.url } : { order: layer.order, style: layer.style }),
      createdSeq: seq,
      updatedSeq: seq,
      createdAt: at,
      updatedAt: at,
    },
  });
  return null;
}

async function updateLayer(
  tx: Prisma.TransactionClient,
  mapId: string,
  seq: number,
  op: Extract<LayerOp, { kind: 'layer.update' }>,
  at: Date,
): Promise<LayerRejection | null> {
  const row = await tx.layer.findUnique({
    where: { mapId_id: { mapId, id: op.id } },
    select: { ...layerColumns, deleted: true },
  });
  const state = createMapState('', [], row && !row.deleted ? [layerFromRow(row)] : []);
  const refused = rejection(applyOp(state, op));
  if (refused) return refused;
  const layer = state.layers.get(op.id);
  if (layer?.kind !== 'user') return null;
  await tx.layer.update({
    where: { mapId_id: { mapId, id: op.id } },
    data: { name: layer.name, order: layer.order, style: layer.style, updatedSeq: seq, updatedAt: at },
  });
  return null;
}

async function removeLayer(
  tx: Prisma.TransactionClient,
  mapId: string,
  seq: number,
  op: Extract<LayerOp, { kind: 'layer.remove' }>,
  at: Date,
): Promise<LayerRejection | null> {
  const row = await tx.layer.findUnique({
    where: { mapId_id: { mapId, id: op.id } },
    select: { ...layerColumns, deleted: true },
  });
  const features = await tx.feature.findMany({
    where: { mapId, deleted: false, properties: { path: ['layer'], equals: op.id } },
    select: { id: true, geometry: true, properties: true, version: true },
  });
  const state = createMapState(
    '',
    features.map(featureFromRow),
    row && !row.deleted ? [layerFromRow(row)] : [],
  );
  const result = applyOp(state, op);
  const refused = rejection(result);
  if (refused || !result.ok) return refused;
  await tx.layer.update({
    where: { mapId_id: { mapId, id: op.id } },
    data: { deleted: true, updatedSeq: seq, updatedAt: at },
  });
  const removed = result.removedMany ?? [];
  if (removed.length > 0) {
    await tx.feature.updateMany({
      where: { mapId, id: { in: removed }, deleted: false },
      data: { deleted: true, version: { increment: 1 }, updatedSeq: seq, updatedAt: at },
    });
  }
  return null;
}

async function upsertEntries(
  tx: Prisma.TransactionClient,
  mapId: string,
  seq: number,
  op: Extract<LayerOp, { kind: 'layer.entries' }>,
  at: Date,
): Promise<LayerRejection | null> {
  const layer = await tx.layer.findUnique({
    where: { mapId_id: { mapId, id: op.layerId } },
    select: { ...layerColumns, deleted: true },
  });
  const ids = [...new Set(op.features.map((f) => f.id))];
  const rows = await tx.feature.findMany({
    where: { mapId, id: { in: ids } },
    select: { id: true, geometry: true, properties: true, version: true, deleted: true },
  });
  // Tombstoned features are not in the state (as in a client's): an entry with such an id is
  // created afresh at version 1, resurrecting the row.
  const state = createMapState(
    '',
    rows.filter((r) => !r.deleted).map(featureFromRow),
    layer && !layer.deleted ? [layerFromRow(layer)] : [],
  );
  const result = applyOp(state, op);
  const refused = rejection(result);
  if (refused || !result.ok) return refused;
  const existing = new Set(rows.map((r) => r.id));
  for (const id of ids) {
    // A feed may repeat an entry within one op: the state holds the last one, so write that.
    const feature = state.features.get(id);
    if (!feature) continue;
    const data = {
      geometry: feature.geometry,
      properties: feature.properties,
      version: feature.version,
      deleted: false,
      updatedSeq: seq,
      updatedAt: at,
    };
    if (existing.has(id)) {
      await tx.feature.update({ where: { mapId_id: { mapId, id } }, data });
    } else {
      await tx.feature.create({ data: { ...data, mapId, id, createdSeq: seq, createdAt: at } });
    }
  }
  return null;
}
