import { z } from 'zod';
import { Id, OpRecord, PresenceEntry, Seq, Viewport } from './common.ts';
import { LayerStatusMessage } from './server.ts';

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

/** A summon to relay to every node's clients (`from`: a person id). `{"type":"summon","mapId":"m1","nodeId":"n1","from":"p1","viewport":{...}}` */
export const BusSummonMessage = z.strictObject({
  type: z.literal('summon'),
  mapId: Id,
  nodeId: NodeId,
  from: Id,
  viewport: Viewport,
});

/**
 * A node is alive on a map, has delivered its ops up to `seq`, and holds these clients there.
 * Peers drop a node's users when its heartbeats stop (it died), ask for its presence when it
 * lists someone they do not know, and read the op log when they are behind its `seq`.
 * `clientIds` are its listed clients; `watching` how many it counts in the audience.
 * `{"type":"heartbeat","mapId":"m1","nodeId":"n1","seq":42,"clientIds":["c1","c2"],"watching":300}`
 */
export const BusHeartbeatMessage = z.strictObject({
  type: z.literal('heartbeat'),
  mapId: Id,
  nodeId: NodeId,
  seq: Seq,
  clientIds: z.array(Id).max(100_000),
  watching: z.number().int().nonnegative().default(0),
});

/**
 * How many people a node counts in a map's audience, published at most once per
 * AUDIENCE_FLUSH_MS when it changed (heartbeats repeat it). `{"type":"audience","mapId":"m1","nodeId":"n1","watching":300}`
 */
export const BusAudienceMessage = z.strictObject({
  type: z.literal('audience'),
  mapId: Id,
  nodeId: NodeId,
  watching: z.number().int().nonnegative(),
});

/** A node that just opened a map (or missed traffic) asks its peers for their presence. `{"type":"presenceRequest","mapId":"m1","nodeId":"n2"}` */
export const BusPresenceRequestMessage = z.strictObject({
  type: z.literal('presenceRequest'),
  mapId: Id,
  nodeId: NodeId,
});

/** All of a node's local presence on a map, in answer to a request. `{"type":"presenceState","mapId":"m1","nodeId":"n1","entries":[...]}` */
export const BusPresenceStateMessage = z.strictObject({
  type: z.literal('presenceState'),
  mapId: Id,
  nodeId: NodeId,
  entries: z.array(PresenceEntry).max(100_000),
});

/** The feed holder's news about a layer, relayed to every node's clients (and remembered for joiners). */
export const BusLayerStatusMessage = LayerStatusMessage.extend({ nodeId: NodeId });

export const BusMessage = z.discriminatedUnion('type', [
  BusOpMessage,
  BusPresenceMessage,
  BusPresenceLeftMessage,
  BusSummonMessage,
  BusHeartbeatMessage,
  BusAudienceMessage,
  BusPresenceRequestMessage,
  BusPresenceStateMessage,
  BusLayerStatusMessage,
]);
export type BusMessage = z.infer<typeof BusMessage>;
