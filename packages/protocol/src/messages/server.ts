import { z } from 'zod';
import { ErrorCode } from '../codes.ts';
import { Feature } from '../geo.ts';
import { Id, Layer, MapInfo, OpRecord, PresenceEntry, Role, Seq, Viewport } from './common.ts';

const ErrorCodeSchema = z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]);

/**
 * Answer to `hello`.
 * `{"type":"welcome","v":4,"clientId":"c-7f3a","nodeId":"node-a","serverTime":1712345678901,"maxFrameBytes":65536,"maxBulkFrameBytes":1048576}`
 */
export const WelcomeMessage = z.strictObject({
  type: z.literal('welcome'),
  v: z.number().int(),
  clientId: Id,
  nodeId: z.string().max(128),
  serverTime: z.number(),
  maxFrameBytes: z.number().int().positive(),
  /** The frame limit for bulk ops (`features.import`, `features.delete`); at least `maxFrameBytes`. */
  maxBulkFrameBytes: z.number().int().positive(),
});

/**
 * The full state of a map at `seq`, sent on join (or on resume when the gap is too old).
 * `{"type":"snapshot","mapId":"m1","seq":42,"role":"edit","map":{"id":"m1","name":"Lyon"},"features":[...],"presence":[...]}`
 */
export const SnapshotMessage = z.strictObject({
  type: z.literal('snapshot'),
  mapId: Id,
  seq: Seq,
  role: Role,
  map: MapInfo,
  features: z.array(Feature),
  /** Live-feed layers; their features are among `features`. */
  layers: z.array(Layer).default([]),
  presence: z.array(PresenceEntry),
});

/**
 * The start of a streamed snapshot (protocol v3, maps bigger than one chunk): the map's state at
 * `seq` but its features, which follow in `snapshotChunk` messages (in index order),
 * then a `snapshotEnd` that says how many there were. Nothing else about the map is sent in
 * between; the map is joined at the end.
 * `{"type":"snapshotBegin","mapId":"m1","seq":42,"role":"edit","map":{"id":"m1","name":"Lyon"},"layers":[],"featureCount":100000}`
 */
export const SnapshotBeginMessage = z.strictObject({
  type: z.literal('snapshotBegin'),
  mapId: Id,
  seq: Seq,
  role: Role,
  map: MapInfo,
  layers: z.array(Layer),
  featureCount: z.number().int().nonnegative(),
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A feature of a streamed snapshot, checked for its shape only: every one was validated in depth
 * by the server when it was committed, and validating 100,000 again in the client costs about five
 * times their JSON.parse (measured: BENCHMARKS.md), the largest part of a big map's join.
 */
const SnapshotFeature = z.custom<Feature>(
  (value) =>
    isObject(value) &&
    value.type === 'Feature' &&
    typeof value.id === 'string' &&
    isObject(value.geometry) &&
    typeof value.geometry.type === 'string' &&
    isObject(value.properties) &&
    typeof value.version === 'number',
  { message: 'expected a feature' },
);

/**
 * Some features of the streamed snapshot at `seq`; `index` counts from 0. Encoded once per map and
 * seq, and the same bytes are sent to every joiner. Features are checked for shape only (see
 * `SnapshotFeature`).
 * `{"type":"snapshotChunk","mapId":"m1","seq":42,"index":0,"features":[...]}`
 */
export const SnapshotChunkMessage = z.strictObject({
  type: z.literal('snapshotChunk'),
  mapId: Id,
  seq: Seq,
  index: z.number().int().nonnegative(),
  features: z.array(SnapshotFeature),
});

/**
 * All `chunkCount` chunks of the snapshot at `seq` were sent: the map is joined, `presence` lists
 * who is here, and the ops after `seq` follow.
 * `{"type":"snapshotEnd","mapId":"m1","seq":42,"chunkCount":812,"presence":[...]}`
 */
export const SnapshotEndMessage = z.strictObject({
  type: z.literal('snapshotEnd'),
  mapId: Id,
  seq: Seq,
  chunkCount: z.number().int().positive(),
  presence: z.array(PresenceEntry),
});

/**
 * Ops a client missed, in seq order: on resume, or in answer to `sync`.
 * `{"type":"replay","mapId":"m1","fromSeq":43,"toSeq":45,"ops":[...],"role":"edit","presence":[...]}`
 */
export const ReplayMessage = z.strictObject({
  type: z.literal('replay'),
  mapId: Id,
  fromSeq: Seq,
  toSeq: Seq,
  ops: z.array(OpRecord),
  /** Present on resume (a join answered by a replay), absent for a `sync` answer. */
  role: Role.optional(),
  map: MapInfo.optional(),
  presence: z.array(PresenceEntry).optional(),
});

/**
 * A committed op, broadcast to everyone on the map (its author included) in seq order.
 * `{"type":"op","mapId":"m1","record":{"seq":43,"opId":"o-1","clientId":"c-7f3a","op":{...},"at":1712345678901}}`
 */
export const OpBroadcastMessage = z.strictObject({ type: z.literal('op'), mapId: Id, record: OpRecord });

/**
 * The sender's op was committed as `seq` (`duplicate` when it was a retry of a committed op).
 * `{"type":"ack","mapId":"m1","opId":"o-1","seq":43}`
 */
export const AckMessage = z.strictObject({
  type: z.literal('ack'),
  mapId: Id,
  opId: Id,
  seq: Seq.min(1),
  duplicate: z.boolean().optional(),
});

/**
 * The sender's op was refused and changed nothing. A transient code (see `isTransientCode`)
 * means "retry the same op id after `retryAfterMs`"; any other code is final.
 * `{"type":"reject","mapId":"m1","opId":"o-2","code":"FEATURE_NOT_FOUND","message":"no feature f9 on this map"}`
 */
export const RejectMessage = z.strictObject({
  type: z.literal('reject'),
  mapId: Id,
  opId: Id,
  code: ErrorCodeSchema,
  message: z.string(),
  /** With a transient code: the earliest the server expects a retry to succeed. */
  retryAfterMs: z.number().int().nonnegative().max(600_000).optional(),
});

/**
 * Someone's presence changed (joined, moved a cursor, panned).
 * `{"type":"presence","mapId":"m1","entry":{"clientId":"c-9b2e","name":"Bo",...}}`
 */
export const PresenceBroadcastMessage = z.strictObject({
  type: z.literal('presence'),
  mapId: Id,
  entry: PresenceEntry,
});

/**
 * Every presence change on one node since its last batch, latest per tab, in one frame (the
 * node sends one per tick when presence is busy, so a receiver reads one frame, not one per change).
 * It may list the receiver itself, which ignores its own entry.
 * `{"type":"presenceBatch","mapId":"m1","entries":[{"clientId":"c-9b2e","name":"Bo",...},{"clientId":"c-7f3a",...}]}`
 */
export const PresenceBatchMessage = z.strictObject({
  type: z.literal('presenceBatch'),
  mapId: Id,
  entries: z.array(PresenceEntry).min(1).max(100_000),
});

/** A listed tab left the map (its person stays while another of their tabs is listed). `{"type":"presenceLeft","mapId":"m1","clientId":"c-9b2e"}` */
export const PresenceLeftMessage = z.strictObject({
  type: z.literal('presenceLeft'),
  mapId: Id,
  clientId: Id,
});

/**
 * An edit-role user (`from`: their person id) brought everyone to their view.
 * `{"type":"summon","mapId":"m1","from":"p-41d0","viewport":{...}}`
 */
export const SummonBroadcastMessage = z.strictObject({
  type: z.literal('summon'),
  mapId: Id,
  from: Id,
  viewport: Viewport,
});

/**
 * How a live-feed layer is doing, from the node that holds its subscription; sent to everyone on
 * the map when it changes and to each client after it joins. Volatile: never in the op log.
 * `{"type":"layerStatus","mapId":"m1","layerId":"quakes","state":"live","mode":"websub","detail":"live (WebSub via hub.example)","badSignatures":0,"at":1712345678901}`
 */
export const LayerStatusMessage = z.strictObject({
  type: z.literal('layerStatus'),
  mapId: Id,
  layerId: Id,
  /** `pending`: subscribing; `live`: pushed by a hub; `polling`: no hub; `error`: see detail. */
  state: z.enum(['pending', 'live', 'polling', 'error']),
  mode: z.enum(['websub', 'poll']).nullable(),
  /** Words for people: `live (WebSub via hub.example)`, `hub unreachable: …`. */
  detail: z.string().max(500),
  /** Deliveries refused because their X-Hub-Signature did not match. */
  badSignatures: z.number().int().nonnegative(),
  /** Entries taken from the feed so far. */
  entries: z.number().int().nonnegative().default(0),
  at: z.number().int().nonnegative(),
});
export type LayerStatus = Omit<z.infer<typeof LayerStatusMessage>, 'type' | 'mapId'>;

/**
 * How many people watch the map without being listed (view-only, or editors who have not moved a
 * cursor or edited yet), all nodes together. Sent after the snapshot, then at most once per
 * AUDIENCE_FLUSH_MS when it changed: a viewer's join or leave costs the others O(1) messages.
 * `{"type":"audience","mapId":"m1","watching":1200}`
 */
export const AudienceMessage = z.strictObject({
  type: z.literal('audience'),
  mapId: Id,
  watching: z.number().int().nonnegative(),
});

/** Answer to `ping`. `{"type":"pong","t":1712345678901,"serverTime":1712345678903}` */
export const PongMessage = z.strictObject({ type: z.literal('pong'), t: z.number(), serverTime: z.number() });

/**
 * A typed error that is not about one op; `ref` names the message type it answers (and `mapId`
 * its map). With a transient code the same message may be sent again after `retryAfterMs`.
 * `{"type":"error","code":"STORAGE_UNAVAILABLE","message":"storage is unavailable","ref":"join","mapId":"m1","retryAfterMs":1000}`
 */
export const ErrorMessage = z.strictObject({
  type: z.literal('error'),
  code: ErrorCodeSchema,
  message: z.string(),
  mapId: Id.optional(),
  ref: z.string().max(64).optional(),
  /** With a transient code: the earliest the server expects the same request to succeed. */
  retryAfterMs: z.number().int().nonnegative().max(600_000).optional(),
});

/** Every message a server may send. */
export const ServerMessage = z.discriminatedUnion('type', [
  WelcomeMessage,
  SnapshotMessage,
  SnapshotBeginMessage,
  SnapshotChunkMessage,
  SnapshotEndMessage,
  ReplayMessage,
  OpBroadcastMessage,
  AckMessage,
  RejectMessage,
  PresenceBroadcastMessage,
  PresenceBatchMessage,
  PresenceLeftMessage,
  SummonBroadcastMessage,
  AudienceMessage,
  LayerStatusMessage,
  PongMessage,
  ErrorMessage,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ServerMessageType = ServerMessage['type'];
export type ServerMessageOf<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>;
