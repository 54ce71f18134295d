import type { WebSocket } from 'uWebSockets.js';
import type { Role } from '@meridian/protocol';
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
  invalidMessageBudget: number;
}

/** The per-connection budgets, built once per server from its limits and shared by every session. */
export interface SessionBudgets {
  /** Messages per second, with a burst. */
  readonly rate: TokenBucket;
  /** Messages over the rate limit before the connection is closed as abusive. */
  readonly excess: TokenBucket;
  /** Invalid messages before the connection is closed as abusive. */
  readonly invalid: TokenBucket;
}

export function sessionBudgets(limits: SessionLimits): SessionBudgets {
  const { msgsPerS, burst, maxExcess } = limits.rateLimit;
  return {
    rate: new TokenBucket(burst, msgsPerS),
    excess: new TokenBucket(maxExcess, maxExcess / 10),
    invalid: new TokenBucket(limits.invalidMessageBudget, limits.invalidMessageBudget / 60),
  };
}

/** A direct message waiting for the socket's send buffer to drain. */
export interface QueuedSend {
  type: string;
  text: string;
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
 * One WebSocket connection's state, from upgrade to close. `ws` is only valid while `open`:
 * uWS throws on any use of a closed socket, so everything that sends checks `open` first.
 *
 * A node holds tens of thousands of these, mostly idle, so a session keeps no timer, closure,
 * promise or collection of its own while idle: the token expiry is checked by the server's
 * periodic sweep (lifecycle.ts), and queues are made only while something waits in them.
 */
export class Session {
  readonly id: number;
  /** Claims of the upgrade token (or of the token a later `hello`/`join` carried). */
  claims: AccessClaims;
  ws: WebSocket<SocketData> | null = null;
  open = false;
  /** Set once the server decided to close, so late callbacks do not close twice. */
  closing = false;
  /**
   * Set when the server decided to close for abuse (1008): nothing more is read, queued ops were
   * answered with a transient reject, and the close waits for the op being committed (if any).
   */
  policyClosing = false;
  /** Set as soon as a valid `hello` is read (its handling may still be queued). */
  helloSeen = false;
  /** Closes the connection unless `hello` comes in time; cleared once it has. */
  helloTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set by `hello`. */
  client: { clientId: string; name: string; color: string } | null = null;
  /** The map this connection joined (set as soon as the join starts, cleared on leave). */
  room: Room | null = null;
  role: Role | null = null;
  /** This connection as a member of `room` (one per join). */
  member: RoomMember | null = null;
  /** Bumped on each join/leave so a join that finishes after a leave knows it is stale. */
  joinEpoch = 0;
  joinPending = false;
  /** Traffic counters for operators (GET /admin/connections). */
  readonly stats: ConnectionStats;
  /** Direct messages waiting for the socket's send buffer to drain (in order); null when none. */
  backlog: QueuedSend[] | null = null;
  /** Send-buffer size at the last slow-consumer scan, while it was over the soft limit. */
  lastBufferedOver: number | null = null;
  readonly #budgets: SessionBudgets;
  /** States of the budgets' buckets (TokenBucket: when each is full again). */
  #rateFullAtMs = TokenBucket.FULL;
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
