import type { WebSocket } from 'uWebSockets.js';
import type { PresenceEntry, Role } from '@meridian/protocol';
import type { AccessClaims } from '../auth/tokens.ts';
import { ConnectionStats } from '../inspect/connection-stats.ts';
import type { Room } from '../rooms/room.ts';
import { TokenBucket } from './token-bucket.ts';

/** What uWS keeps for each socket: a reference to our session object. */
export interface SocketData {
  session: Session;
}

export interface SessionLimits {
  rateLimit: { msgsPerS: number; burst: number; maxExcess: number };
  invalidMessageBudget: number;
}

/** Most async steps (joins, ops, syncs) one connection may have waiting; beyond this it is flooding. */
export const MAX_QUEUED_TASKS = 256;

/**
 * One WebSocket connection's state, from upgrade to close. `ws` is only valid while `open`:
 * uWS throws on any use of a closed socket, so everything that sends checks `open` first.
 */
export class Session {
  readonly id: number;
  /** Claims of the upgrade token (or of the token a later `hello`/`join` carried). */
  claims: AccessClaims;
  ws: WebSocket<SocketData> | null = null;
  open = false;
  /** Set once the server decided to close, so late callbacks do not close twice. */
  closing = false;
  /** Set as soon as a valid `hello` is read (its handling may still be queued). */
  helloSeen = false;
  /** Set by `hello`. */
  client: { clientId: string; name: string; color: string } | null = null;
  /** The map this connection joined (set as soon as the join starts, cleared on leave). */
  room: Room | null = null;
  role: Role | null = null;
  /** Bumped on each join/leave so a join that finishes after a leave knows it is stale. */
  joinEpoch = 0;
  joinPending = false;
  presence: PresenceEntry | null = null;
  /** Subscribed to the map's volatile topic (off while this socket is over the soft backpressure limit). */
  volatileOn = false;
  readonly rate: TokenBucket;
  /** Budget of messages over the rate limit before the connection is closed as abusive. */
  readonly excess: TokenBucket;
  /** Budget of invalid messages before the connection is closed as abusive. */
  readonly invalid: TokenBucket;
  readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** Traffic counters for operators (GET /admin/connections). */
  readonly stats: ConnectionStats;
  expiryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Direct messages waiting for the socket's send buffer to drain (in order). */
  readonly backlog: { type: string; text: string }[] = [];
  /** Send-buffer size at the last slow-consumer scan, while it was over the soft limit. */
  lastBufferedOver: number | null = null;
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;

  constructor(id: number, claims: AccessClaims, limits: SessionLimits, nowMs: number) {
    this.id = id;
    this.claims = claims;
    this.stats = new ConnectionStats(nowMs);
    const { msgsPerS, burst, maxExcess } = limits.rateLimit;
    this.rate = new TokenBucket(burst, msgsPerS, nowMs);
    this.excess = new TokenBucket(maxExcess, maxExcess / 10, nowMs);
    this.invalid = new TokenBucket(limits.invalidMessageBudget, limits.invalidMessageBudget / 60, nowMs);
  }

  get clientId(): string {
    return this.client?.clientId ?? `s${this.id}`;
  }

  get queued(): number {
    return this.#queued;
  }

  /**
   * Run `task` after every task queued before it: one connection's joins, ops and syncs take
   * effect in the order they were sent even though each awaits the database.
   */
  enqueue(task: () => Promise<void>): Promise<void> {
    this.#queued++;
    const run = this.#queue.then(task).finally(() => {
      this.#queued--;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  setTimer(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
  }
}
