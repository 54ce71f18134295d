/**
 * Wire protocol version. Sent by the client in `hello`; the server closes with
 * `CloseCode.UNSUPPORTED_PROTOCOL_VERSION` when it does not speak it.
 * Bump on any change that an older peer would misread.
 */
export const PROTOCOL_VERSION = 2 as const;

/** Path of the realtime WebSocket endpoint. */
export const REALTIME_PATH = '/ws' as const;
