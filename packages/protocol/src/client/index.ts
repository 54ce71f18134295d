export { randomId } from '../ids.ts';
export { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF, retryDelayMs } from './backoff.ts';
export { type Clock, systemClock } from './clock.ts';
export {
  Connection,
  type ConnectionEvents,
  type ConnectionOptions,
  type FrameEvent,
  type WebSocketConstructor,
  type WebSocketLike,
} from './connection.ts';
export {
  type BackoffReason,
  type ConnectionKind,
  type ConnectionState,
  canTransition,
  transition,
} from './connection-state.ts';
export { Emitter } from './emitter.ts';
export { type ImportProgress, importChunks, validateImport } from './import.ts';
export { type ClientEvents, MeridianClient, type MeridianClientOptions } from './meridian-client.ts';
export { PresenceChannel } from './presence.ts';
export { type Changed, MapReplica, type PendingOp, type ReceiveResult } from './replica.ts';
export {
  DEFAULT_BULK_WINDOW,
  DEFAULT_RESEND_PACING,
  type OutgoingOp,
  ResendPacer,
  type ResendPacing,
} from './resend-pacer.ts';
export { type FeaturesChangedEvent, MapSync, type OpRejectedEvent } from './sync.ts';
