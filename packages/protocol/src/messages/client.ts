import { z } from 'zod';
import { Color } from '../geo.ts';
import { Cursor, DisplayName, Id, Op, Seq, Viewport } from './common.ts';

/**
 * First message on every connection. `clientId` names this tab; `personId` the person (shared by
 * the tabs of one browser profile; the client id when absent). `color` is a preference: the map
 * assigns the colour, this one when nobody there holds it.
 * `{"type":"hello","v":4,"clientId":"c-7f3a","personId":"p-41d0","name":"Ada","color":"#0076d3"}`
 */
export const HelloMessage = z.strictObject({
  type: z.literal('hello'),
  v: z.number().int(),
  clientId: Id,
  personId: Id.optional(),
  name: DisplayName,
  color: Color,
  /** An access token, when it was not given on the upgrade URL. */
  token: z.string().max(4096).optional(),
});

/**
 * Join a map. With `lastSeq` the server replays only what was missed (resume).
 * `{"type":"join","mapId":"m1","lastSeq":42}`
 */
export const JoinMessage = z.strictObject({
  type: z.literal('join'),
  mapId: Id,
  lastSeq: Seq.optional(),
  /** A token for this map when the connection's token is for another. */
  token: z.string().max(4096).optional(),
});

/** `{"type":"leave","mapId":"m1"}` */
export const LeaveMessage = z.strictObject({ type: z.literal('leave'), mapId: Id });

/**
 * A durable op; `opId` is chosen by the client and makes retries idempotent.
 * `{"type":"op","mapId":"m1","opId":"o-1","op":{"kind":"feature.delete","id":"f1"}}`
 */
export const OpMessage = z.strictObject({ type: z.literal('op'), mapId: Id, opId: Id, op: Op });

/** Ask for ops in [fromSeq, toSeq] after noticing a gap. `{"type":"sync","mapId":"m1","fromSeq":43,"toSeq":45}` */
export const SyncMessage = z
  .strictObject({ type: z.literal('sync'), mapId: Id, fromSeq: Seq.min(1), toSeq: Seq.min(1) })
  .refine((m) => m.toSeq >= m.fromSeq, 'toSeq must be >= fromSeq');

/**
 * Volatile presence: any subset of cursor, viewport, name. Latest wins. A cursor over the map
 * lists an editor (until then it is counted in the audience). Colours are the map's to assign.
 * `{"type":"presence","mapId":"m1","cursor":[2.35,48.85]}`
 */
export const PresenceMessage = z.strictObject({
  type: z.literal('presence'),
  mapId: Id,
  cursor: Cursor.nullable().optional(),
  viewport: Viewport.optional(),
  name: DisplayName.optional(),
});

/** Follow a person (their person id; or stop, with null). `{"type":"follow","mapId":"m1","target":"p-41d0"}` */
export const FollowMessage = z.strictObject({ type: z.literal('follow'), mapId: Id, target: Id.nullable() });

/** Bring everyone on the map to this viewport (edit role). `{"type":"summon","mapId":"m1","viewport":{...}}` */
export const SummonMessage = z.strictObject({ type: z.literal('summon'), mapId: Id, viewport: Viewport });

/** App-level round-trip probe. `{"type":"ping","t":1712345678901}` */
export const PingMessage = z.strictObject({ type: z.literal('ping'), t: z.number().finite() });

/** Every message a client may send. */
export const ClientMessage = z.discriminatedUnion('type', [
  HelloMessage,
  JoinMessage,
  LeaveMessage,
  OpMessage,
  SyncMessage,
  PresenceMessage,
  FollowMessage,
  SummonMessage,
  PingMessage,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type ClientMessageType = ClientMessage['type'];
export type ClientMessageOf<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;
