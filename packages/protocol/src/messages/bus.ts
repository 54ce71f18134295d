import { z } from 'zod';
import { Id, OpRecord, PresenceEntry, Viewport } from './common.ts';

/** Node-to-node messages on a map's bus channel. Never sent to browsers. */

const NodeId = z.string().min(1).max(128);

/** A committed op, published by the node that committed it. `{"type":"op","mapId":"m1","nodeId":"n1","record":{...}}` */
export const BusOpMessage = z.strictObject({
  type: z.literal('op'),
  mapId: Id,
  nodeId: NodeId,
  record: OpRecord,
});

/** A local client's presence changed. `{"type":"presence","mapId":"m1","nodeId":"n1","entry":{...}}` */
export const BusPresenceMessage = z.strictObject({
  type: z.literal('presence'),
  mapId: Id,
  nodeId: NodeId,
  entry: PresenceEntry,
});

/** A local client left the map. `{"type":"presenceLeft","mapId":"m1","nodeId":"n1","clientId":"c1"}` */
export const BusPresenceLeftMessage = z.strictObject({
  type: z.literal('presenceLeft'),
  mapId: Id,
  nodeId: NodeId,
  clientId: Id,
});

/** A summon to relay to every node's clients. `{"type":"summon","mapId":"m1","nodeId":"n1","from":"c1","viewport":{...}}` */
export const BusSummonMessage = z.strictObject({
  type: z.literal('summon'),
  mapId: Id,
  nodeId: NodeId,
  from: Id,
  viewport: Viewport,
});

export const BusMessage = z.discriminatedUnion('type', [
  BusOpMessage,
  BusPresenceMessage,
  BusPresenceLeftMessage,
  BusSummonMessage,
]);
export type BusMessage = z.infer<typeof BusMessage>;
