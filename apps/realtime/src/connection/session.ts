import type { WebSocket } from 'uWebSockets.js';
import type { AccessClaims } from '../auth/tokens.ts';
import { ConnectionStats } from '../inspect/connection-stats.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomMember } from '../rooms/room-member.ts';
import { TokenBucket } from './token-bucket.ts';

/** What uWS keeps for each socket: a reference to our session object. */
export interface SocketData {
  session: Session;
}

export interface SessionLimits {
  rateLimit: { msgsPerS: number; burst: number; maxExcess: number };
  bulkRate: { kibPerS: number; burstKiB: number };
  invalidMessageBudget: number;
}

/** The per-connection budgets, built once per server from its limits and shared by every session. */
export interface SessionBudgets {
  /** Messages per second, with a burst. */
  readonly rate: TokenBucket;
  /** Bulk ops (imports, multi-deletes), in KiB per second, with a burst: apart from `rate`. */
  readonly bulk: TokenBucket;
  /** Messages over the rate limit before the connection is closed as abusive. */
  readonly excess: TokenBucket;
  /** Invalid messages before the connection is closed as abusive. */
  readonly invalid: TokenBucket;
}

export function sessionBudgets(limits: SessionLimits): SessionBudgets {
  const { msgsPerS, burst, maxExcess } = limits.rateLimit;
  return {
    rate: new TokenBucket(burst, msgsPerS),
    bulk: new TokenBucket(limits.bulkRate.burstKiB, limits.bulkRate.kibPerS),
    excess: new TokenBucket(maxExcess, maxExcess / 10),
    invalid: new TokenBucket(limits.invalidMessageBudget, limits.invalidMessageBudget / 60),
  };
}

/** A direct message waiting for the socket's send buffer to drain. */
export interface QueuedSend {
  type: string;
  text: string;
  /** permessage-deflate this frame (when the socket negotiated it). */
  compress: boolean;
}

/** Most async steps (joins, ops, syncs) one connection may have waiting; beyond this it is refused (OVERLOADED). */
export const MAX_QUEUED_TASKS = 256;

/**
 * Resolves on the event loop's next turn. A storage call that answers within the same turn (the
 * embedded PGlite runs on this thread) would otherwise let one connection's queue of commits run
 * back to back in microtasks, and nothing else (health checks, other sockets, new frames) would
 * be served until the queue is empty; between two tasks the loop gets a turn.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** An op read from this connection and not yet answered: queued, or being committed once `started`. */
export interface AcceptedOp {
  readonly mapId: string;
  readonly opId: string;
  started: boolean;
}

/**
 * Where a connection is in its life. Transitions, each by one Session method:
 * connecting → greeting (uWS opened it) → ready (`hello` read) → joining (a join started) →
 * joined (its snapshot or replay was sent) → ready again on leave; from any open state to
 * closing (the server decided to close: nothing more is read) and from any state to closed.
 */
export type SessionState =
  /** Upgraded; uWS has not opened the socket yet. */
  | { readonly kind: 'connecting' }
  /** Open, and no `hello` read yet: anything else is refused. */
  | { readonly kind: 'greeting' }
  /** `hello` was read (its handling may still be queued); on no map. */
  | { readonly kind: 'ready' }
  /** A join of `mapId` is under way; `room` and `member` are set once its room was entered. */
  | { readonly kind: 'joining'; readonly mapId: string; room: Room | null; member: RoomMember | null }
  /** On `room` as `member`. */
  | { readonly kind: 'joined'; readonly room: Room; readonly member: RoomMember }
  /**
   * The server decided to close with `code`: nothing more is read, and what was accepted is still
   * answered (a close for abuse waits for the op being committed). Still on its map until closed.
   */
  | {
      readonly kind: 'closing';
      readonly code: number;
      readonly room: Room | null;
      readonly member: RoomMember | null;
    }
  /** The socket closed. */
  | { readonly kind: 'closed' };

/** A join under way (the state it started), which the joiner checks is still current. */
export type JoiningState = Extract<SessionState, { kind: 'joining' }>;

/** Where a connection is on a map, as a leave or a close hands it back to be removed from its room. */
export interface Membership {
  room: Room;
  member: RoomMember;
}

const CONNECTING: SessionState = { kind: 'connecting' };
const GREETING: SessionState = { kind: 'greeting' };
const READY: SessionState = { kind: 'ready' };
const CLOSED: SessionState = { kind: 'closed' };

/** The membership a state holds, if any. */
function membershipOf(state: SessionState): Membership | null {
  if (state.kind !== 'joining' && state.kind !== 'joined' && state.kind !== 'closing') return null;
  const { room, member } = state;
  return room && member ? { room, member } : null;
}

/**
 * One WebSocket connection, from upgrade to close: its state (a SessionState, changed only by
 * the transition methods below), budgets, queue and counters. `ws` is only there while the
 * socket is open: uWS throws on any use of a closed socket.
 *
 * A node holds tens of thousands of these, mostly idle, so a session keeps no timer, closure,
 * promise or collection of its own while idle: the token expiry is checked by the server's
 * periodic sweep (lifecycle.ts), and queues are made only while something waits in them.
 */
export class Session {
  readonly id: number;
  /** Claims of the upgrade token (or of the token a later `hello`/`join` carried). */
  claims: AccessClaims;
  #state: SessionState = CONNECTING;
  /** The socket, from uWS's open to its close. */
  #ws: WebSocket<SocketData> | null = null;
  /** Closes the connection unless `hello` comes in time; cleared once it has. */
  helloTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set by `hello`. */
  /** Who the hello said this is: the tab, its person (the tab itself when not given), name, asked-for colour and protocol version. */
  client: { clientId: string; personId: string; name: string; color: string; v: number } | null = null;
  /** Traffic counters for operators (GET /admin/connections). */
  readonly stats: ConnectionStats;
  /** Direct messages waiting for the socket's send buffer to drain (in order); null when none. */
  backlog: QueuedSend[] | null = null;
  /**
   * While the send buffer is over the soft limit: its size at the last slow-consumer scan, and
   * since when it has not shrunk between two scans.
   */
  lastBufferedOver: { bytes: number; sinceMs: number } | null = null;
  readonly #budgets: SessionBudgets;
  /** States of the budgets' buckets (TokenBucket: when each is full again). */
  #rateFullAtMs = TokenBucket.FULL;
  #bulkFullAtMs = TokenBucket.FULL;
  #excessFullAtMs = TokenBucket.FULL;
  #invalidFullAtMs = TokenBucket.FULL;
  /** The last ordered task; null when none is waiting or running. */
  #queue: Promise<void> | null = null;
  #queued = 0;
  /** Ops accepted and not yet answered; null when none (an idle session keeps no collection). */
  #ops: Set<AcceptedOp> | null = null;

  constructor(id: number, claims: AccessClaims, budgets: SessionBudgets, nowMs: number) {
    this.id = id;
    this.claims = claims;
    this.stats = new ConnectionStats(nowMs);
    this.#budgets = budgets;
  }

  get state(): SessionState {
    return this.#state;
  }

  /** uWS's socket while it is open (null before `opened` and after `closed`). */
  get ws(): WebSocket<SocketData> | null {
    return this.#ws;
  }

  /** Opened and not yet closed: it can be sent to (also while it is closing). */
  get isOpen(): boolean {
    return this.#ws !== null;
  }

  /** Open and no decision to close it: its messages are read and handled. */
  get isActive(): boolean {
    const { kind } = this.#state;
    return kind === 'greeting' || kind === 'ready' || kind === 'joining' || kind === 'joined';
  }

  /** The room it joined or is joining (once entered), until it leaves or closes. */
  get room(): Room | null {
    return membershipOf(this.#state)?.room ?? null;
  }

  /** It as a member of `room`. */
  get member(): RoomMember | null {
    return membershipOf(this.#state)?.member ?? null;
  }

  /** Whether it is on a map with its snapshot or replay sent. */
  get joined(): boolean {
    return this.#state.kind === 'joined';
  }

  /** connecting → greeting: uWS opened the socket. */
  opened(ws: WebSocket<SocketData>): void {
    if (this.#state.kind !== 'connecting') return;
    this.#ws = ws;
    this.#state = GREETING;
  }

  /** greeting → ready: a valid `hello` was read. */
  helloRead(): void {
    if (this.#state.kind === 'greeting') this.#state = READY;
  }

  /** ready → joining `mapId` (leave the current map first). Null when the session is not ready. */
  startJoin(mapId: string): JoiningState | null {
    if (this.#state.kind !== 'ready') return null;
    const joining: JoiningState = { kind: 'joining', mapId, room: null, member: null };
    this.#state = joining;
    return joining;
  }

  /** The join entered its room: false when it is no longer current (left, closing, closed). */
  enterRoom(joining: JoiningState, room: Room, member: RoomMember): boolean {
    if (this.#state !== joining) return false;
    joining.room = room;
    joining.member = member;
    return true;
  }

  /** joining → joined: its snapshot or replay was sent. */
  finishJoin(joining: JoiningState): void {
    const { room, member } = joining;
    if (this.#state === joining && room && member) this.#state = { kind: 'joined', room, member };
  }

  /** joining or joined → ready; returns the membership to remove from its room. */
  leave(): Membership | null {
    const kind = this.#state.kind;
    if (kind !== 'joining' && kind !== 'joined') return null;
    const left = membershipOf(this.#state);
    this.#state = READY;
    return left;
  }

  /**
   * Any open state → closing with `code` (a later close decision, e.g. the close itself after a
   * close for abuse waited, replaces the code). False when it was not open, or already closing.
   */
  beginClose(code: number): boolean {
    const state = this.#state;
    if (!this.isOpen || state.kind === 'connecting' || state.kind === 'closed') return false;
    const membership = membershipOf(state);
    this.#state = {
      kind: 'closing',
      code,
      room: membership?.room ?? null,
      member: membership?.member ?? null,
    };
    return state.kind !== 'closing';
  }

  /** → closed: uWS closed the socket. Returns the membership to remove from its room. */
  closed(): Membership | null {
    const left = membershipOf(this.#state);
    this.#state = CLOSED;
    this.#ws = null;
    this.clearTimers();
    return left;
  }

  get clientId(): string {
    return this.client?.clientId ?? `s${this.id}`;
  }

  get queued(): number {
    return this.#queued;
  }

  /** Ops accepted from this connection and not yet answered (queued or being committed). */
  get opsInFlight(): number {
    return this.#ops?.size ?? 0;
  }

  /** Charge an incoming message of weight `cost` against the rate limit: false when over it. */
  takeMessage(nowMs: number, cost = 1): boolean {
    const next = this.#budgets.rate.take(this.#rateFullAtMs, nowMs, cost);
    if (next === null) return false;
    this.#rateFullAtMs = next;
    return true;
  }

  /** How long until a message of weight `cost` fits the rate limit (0: now). */
  messageWaitMs(nowMs: number, cost = 1): number {
    return this.#budgets.rate.waitMs(this.#rateFullAtMs, nowMs, cost);
  }

  /** Charge a bulk op of `costKiB` against the bulk budget: false when over it. */
  takeBulk(nowMs: number, costKiB: number): boolean {
    const next = this.#budgets.bulk.take(this.#bulkFullAtMs, nowMs, costKiB);
    if (next === null) return false;
    this.#bulkFullAtMs = next;
    return true;
  }

  /** How long until a bulk op of `costKiB` fits the bulk budget (0: now). */
  bulkWaitMs(nowMs: number, costKiB: number): number {
    return this.#budgets.bulk.waitMs(this.#bulkFullAtMs, nowMs, costKiB);
  }

  /** Count an op as in flight from its arrival until `settleOp`. */
  acceptOp(mapId: string, opId: string): AcceptedOp {
    const op: AcceptedOp = { mapId, opId, started: false };
    this.#ops ??= new Set();
    this.#ops.add(op);
    return op;
  }

  /** The op's turn came: false when it was abandoned meanwhile (it must not run). */
  startOp(op: AcceptedOp): boolean {
    if (!this.#ops?.has(op)) return false;
    op.started = true;
    return true;
  }

  /** The op was answered (or will never be: the socket closed): false if it was already settled. */
  settleOp(op: AcceptedOp): boolean {
    const ops = this.#ops;
    if (!ops?.delete(op)) return false;
    if (ops.size === 0) this.#ops = null;
    return true;
  }

  /** Settle and return the accepted ops whose commit has not started: they will not run. */
  abandonQueuedOps(): AcceptedOp[] {
    const queued = [...(this.#ops ?? [])].filter((op) => !op.started);
    for (const op of queued) this.settleOp(op);
    return queued;
  }

  /** Count one message over the rate limit: false when the connection has used up its budget of them. */
  takeExcess(nowMs: number): boolean {
    const next = this.#budgets.excess.take(this.#excessFullAtMs, nowMs);
    if (next === null) return false;
    this.#excessFullAtMs = next;
    return true;
  }

  /** Count one invalid message: false when the connection has used up its budget of them. */
  takeInvalid(nowMs: number): boolean {
    const next = this.#budgets.invalid.take(this.#invalidFullAtMs, nowMs);
    if (next === null) return false;
    this.#invalidFullAtMs = next;
    return true;
  }

  /**
   * Run `task` after every task queued before it: one connection's joins, ops and syncs take
   * effect in the order they were sent even though each awaits the database.
   */
  enqueue(task: () => Promise<void>): Promise<void> {
    this.#queued++;
    const run = (this.#queue ?? Promise.resolve())
      .then(nextTurn)
      .then(task)
      .finally(() => {
        // The last task done: drop the chain rather than keep a settled promise per idle session.
        if (--this.#queued === 0) this.#queue = null;
      });
    this.#queue = run.catch(() => {});
    return run;
  }

  clearTimers(): void {
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
  }
}
