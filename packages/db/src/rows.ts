import { ErrorCode, Feature, Layer, MeridianError, Op, type OpRecord } from '@meridian/protocol';
import type { Prisma } from './generated/prisma/client.ts';

type JsonValue = Prisma.JsonValue;

/**
 * Rows hold JSON that the protocol validated before commit; it is parsed again on the way out so a
 * corrupt or hand-edited row becomes a typed error instead of a malformed message to clients.
 */
export function featureFromRow(row: {
  id: string;
  geometry: JsonValue;
  properties: JsonValue;
  version: number;
}): Feature {
  const parsed = Feature.safeParse({
    type: 'Feature',
    id: row.id,
    geometry: row.geometry,
    properties: row.properties,
    version: row.version,
  });
  if (!parsed.success)
    throw new MeridianError(ErrorCode.INTERNAL, `stored feature ${row.id} is not a valid feature`);
  return parsed.data;
}

export function opRecordFromRow(row: {
  seq: number;
  opId: string;
  clientId: string;
  payload: JsonValue;
  createdAt: Date;
}): OpRecord {
  const op = Op.safeParse(row.payload);
  if (!op.success)
    throw new MeridianError(ErrorCode.INTERNAL, `stored op at seq ${row.seq} is not a valid op`);
  return { seq: row.seq, opId: row.opId, clientId: row.clientId, op: op.data, at: row.createdAt.getTime() };
}

/** The columns a layer's map state is read from (the feed bookkeeping is not map state). */
export const layerColumns = {
  id: true,
  kind: true,
  url: true,
  name: true,
  order: true,
  style: true,
} as const;

export function layerFromRow(row: {
  id: string;
  kind: 'feed' | 'user';
  url: string | null;
  name: string;
  order: number | null;
  style: JsonValue;
}): Layer {
  const parsed = Layer.safeParse(
    row.kind === 'feed'
      ? { id: row.id, kind: row.kind, url: row.url, name: row.name }
      : { id: row.id, kind: row.kind, name: row.name, order: row.order, style: row.style },
  );
  if (!parsed.success)
    throw new MeridianError(ErrorCode.INTERNAL, `stored layer ${row.id} is not a valid layer`);
  return parsed.data;
}
