/**
 * Close codes. RFC 6455 codes keep their registered meaning; 4000–4999 are Meridian's own.
 * `reconnect` tells the client whether trying again (and resuming) can help.
 */
export const CloseCode = {
  /** Normal closure: the client or server is done. */
  NORMAL: 1000,
  /** The server is going away (shutdown without drain) or the page navigated. */
  GOING_AWAY: 1001,
  /** A binary frame arrived and the protocol defines none (RFC 6455 "unsupported data"). */
  UNSUPPORTED_DATA: 1003,
  /** A text frame was not valid UTF-8. */
  INVALID_PAYLOAD: 1007,
  /** Sustained abuse: repeated invalid messages or a flood past the rate limit. */
  POLICY_VIOLATION: 1008,
  /** A frame larger than the negotiated maximum. */
  MESSAGE_TOO_BIG: 1009,
  /** The server hit an unexpected condition. */
  INTERNAL_ERROR: 1011,
  /** The node is draining: reconnect (to any node) and resume. */
  SERVICE_RESTART: 1012,
  /** The node is overloaded: try again later. */
  TRY_AGAIN_LATER: 1013,
  /** The client speaks a protocol version the server does not. */
  UNSUPPORTED_PROTOCOL_VERSION: 4000,
  /** No `hello` arrived in time after the upgrade. */
  HELLO_TIMEOUT: 4001,
  /** The access token expired while connected: fetch a new one, then reconnect. */
  TOKEN_EXPIRED: 4003,
  /** The client could not keep up (send buffer over the limit): reconnect and resume from the last seq. */
  SLOW_CONSUMER: 4008,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which a reconnect cannot succeed without the user doing something. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.UNSUPPORTED_DATA,
  CloseCode.POLICY_VIOLATION,
  CloseCode.UNSUPPORTED_PROTOCOL_VERSION,
]);

/** Error codes carried by `error` and `reject` messages, grouped by feature. */
export const ErrorCode = {
  // framing and parsing
  BAD_JSON: 'BAD_JSON',
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  BINARY_NOT_SUPPORTED: 'BINARY_NOT_SUPPORTED',
  /** An HTTP API request whose body is not declared `application/json` (answered with 415). */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  // session
  HELLO_REQUIRED: 'HELLO_REQUIRED',
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  NOT_JOINED: 'NOT_JOINED',
  RATE_LIMITED: 'RATE_LIMITED',
  /** The node or map has too much work queued; retry the same op after `retryAfterMs`. */
  OVERLOADED: 'OVERLOADED',
  // auth
  TOKEN_INVALID: 'TOKEN_INVALID',
  FORBIDDEN: 'FORBIDDEN',
  // maps and features
  MAP_NOT_FOUND: 'MAP_NOT_FOUND',
  FEATURE_NOT_FOUND: 'FEATURE_NOT_FOUND',
  FEATURE_EXISTS: 'FEATURE_EXISTS',
  OP_ID_REUSED: 'OP_ID_REUSED',
  /** A well-formed op that would leave the feature invalid (patches adding up past the property bounds). */
  INVALID_OP: 'INVALID_OP',
  // live-feed layers
  LAYER_NOT_FOUND: 'LAYER_NOT_FOUND',
  LAYER_EXISTS: 'LAYER_EXISTS',
  TOO_MANY_LAYERS: 'TOO_MANY_LAYERS',
  // server side
  STORAGE_UNAVAILABLE: 'STORAGE_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Refusals that say nothing about the op itself: the same op (same op id) may succeed later.
 * A client keeps such an op pending and retries it with backoff; only the other codes are final.
 */
export const TRANSIENT_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.RATE_LIMITED,
  ErrorCode.OVERLOADED,
  ErrorCode.STORAGE_UNAVAILABLE,
]);

/** True when a refusal with `code` is worth retrying unchanged (see TRANSIENT_ERROR_CODES). */
export function isTransientCode(code: ErrorCode): boolean {
  return TRANSIENT_ERROR_CODES.has(code);
}

/** The one error type that crosses module boundaries: it always carries a code. */
export class MeridianError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'MeridianError';
    this.code = code;
  }
}
