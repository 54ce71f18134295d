export { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF } from './backoff.ts';
export { Emitter } from './emitter.ts';
export { randomId } from './ids.ts';
export {
  type ClientEvents,
  type ConnectionStatus,
  type FrameEvent,
  MeridianClient,
  type MeridianClientOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from './meridian-client.ts';
export { type Changed, MapReplica, type PendingOp, type ReceiveResult } from './replica.ts';
export { DEFAULT_RESEND_PACING, type OutgoingOp, ResendPacer, type ResendPacing } from './resend-pacer.ts';
