/**
 * Wire protocol version. Sent by the client in `hello`; the server closes with
 * `CloseCode.UNSUPPORTED_PROTOCOL_VERSION` when it does not speak it.
 * Bump on any change that an older peer would misread. v3: user layers, a person id in `hello`
 * and in presence entries, colours assigned by the map (unique while listed), audience mode (idle
 * and view-only people are counted in `audience`, not listed), presence batches and the streamed
 * snapshot. v4: bulk frames (`features.import` / `features.delete` up to `maxBulkFrameBytes`,
 * announced in `welcome`), and an import's chunks say which import they belong to and who made it
 * (`batch`, `by`), so every watcher tells one import as one notice naming its author.
 */
export const PROTOCOL_VERSION = 4 as const;

/**
 * Versions a server accepts in `hello` (and answers in `welcome`). Only v4: a v3 client would
 * refuse v4's `welcome` (a new field) and any import record (`batch`, `by`), its schemas being
 * strict, and records of up to a bulk frame. The code that answers a client older than v3 with a
 * one-message `snapshot` stays for the next transition that can keep an older client.
 */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [4];

/** The first version that understands a streamed snapshot. */
export const STREAMED_SNAPSHOT_VERSION = 3 as const;

/** Path of the realtime WebSocket endpoint. */
export const REALTIME_PATH = '/ws' as const;

/**
 * The WebSocket subprotocol the client offers and the server selects. The access token travels
 * beside it as a second offered subprotocol, `bearer.<token>` (`Sec-WebSocket-Protocol`), so it is
 * never part of a URL that browsers print on a failed connection or that proxies log; the server
 * never selects (echoes) that one.
 */
export const REALTIME_SUBPROTOCOL = 'meridian' as const;

/** Prefix of the offered subprotocol that carries the access token. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'bearer.' as const;

/** The subprotocols a client offers for `token`: Meridian's, then the one carrying the token. */
export function subprotocolsFor(token: string | undefined): string[] {
  return token ? [REALTIME_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`] : [REALTIME_SUBPROTOCOL];
}
