/**
 * The life of one client connection, as one value. Every change goes through `transition`, which
 * refuses the moves the table below does not list, so "joined but reconnecting" cannot happen.
 *
 *   idle ─connect→ connecting ─socket open→ handshaking ─welcome→ joining ─snapshot/replay→ joined
 *   joining ─transient join error→ joining (retryInMs set; the join is sent again on this socket)
 *   connecting/handshaking/joining/joined ─socket lost→ backoff ─timer→ connecting
 *   any ─fatal close (1008, 1003, 4000) or permanent join error→ closed
 *   any ─close()→ idle
 */
export type ConnectionState =
  /** Not started, or stopped by `close()`. */
  | { kind: 'idle' }
  /** Getting a token and opening the socket. `attempt` counts failures since the last join. */
  | { kind: 'connecting'; attempt: number }
  /** Socket open, `hello` sent, waiting for `welcome`. */
  | { kind: 'handshaking' }
  /**
   * `join` sent, waiting for the snapshot or resume replay. After a transient refusal
   * (e.g. storage unavailable) `retry` says when the join goes out again on the same socket.
   */
  | { kind: 'joining'; attempt: number; retry: { inMs: number; at: number; code: string } | null }
  /** In sync: ops and presence flow. */
  | { kind: 'joined' }
  /** The connection was lost; a new one is tried at `at` (`retryInMs` after it was lost). */
  | { kind: 'backoff'; attempt: number; retryInMs: number; at: number; reason: BackoffReason }
  /**
   * Stopped for a reason a retry cannot fix (e.g. 1008: the server refused this client). Ops not
   * yet answered stay pending; `connect()` tries again.
   */
  | { kind: 'closed'; code: number; reason: string };

export type ConnectionKind = ConnectionState['kind'];

/** Why the client is waiting before it reconnects. */
export type BackoffReason =
  | { kind: 'token'; message: string }
  | { kind: 'socket'; message: string }
  | { kind: 'closed'; code: number; reason: string };

const ALLOWED: Record<ConnectionKind, readonly ConnectionKind[]> = {
  idle: ['connecting'],
  connecting: ['handshaking', 'backoff', 'closed', 'idle'],
  handshaking: ['joining', 'backoff', 'closed', 'idle'],
  joining: ['joining', 'joined', 'backoff', 'closed', 'idle'],
  joined: ['backoff', 'closed', 'idle'],
  backoff: ['connecting', 'idle'],
  closed: ['connecting', 'idle'],
};

export function canTransition(from: ConnectionKind, to: ConnectionKind): boolean {
  return ALLOWED[from].includes(to);
}

/** The next state, or a thrown error naming the move when the table does not allow it (a bug). */
export function transition(from: ConnectionState, to: ConnectionState): ConnectionState {
  if (!canTransition(from.kind, to.kind))
    throw new Error(`meridian client: no transition from ${from.kind} to ${to.kind}`);
  return to;
}
