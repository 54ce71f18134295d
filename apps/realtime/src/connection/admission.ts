import { type ClientMessage, type ClientMessageOf, CloseCode, ErrorCode, LIMITS } from '@meridian/protocol';
import type { ServerContext } from '../context.ts';
import { type Refusal, sendError, sendReject } from './replies.ts';
import { type AcceptedOp, MAX_QUEUED_TASKS, type Session } from './session.ts';

// Admission: every message is charged when it arrives, in the uWS message callback, before any
// work is queued for it, by what it will cost this node. A refused op is answered at once with a
// transient reject that carries its op id and when to retry; nothing accepted goes unanswered.

/** Weight of an op against the rate limit: it is validated, committed and fanned out. */
export const OP_COST = 2;
/** Weight of a join: a snapshot (or replay) read and sent. */
export const JOIN_COST = 5;
/** A `sync` costs one token plus one per this many ops of its range (1,000 ops: 21 tokens). */
export const SYNC_OPS_PER_TOKEN = 50;
/** Every message costs one more token per this many bytes of its frame. */
export const BYTES_PER_TOKEN = 4096;
/** Bounds of the wait announced with OVERLOADED (a guess from the recent commit pace). */
const MIN_RETRY_AFTER_MS = 100;
const MAX_RETRY_AFTER_MS = 10_000;
/** How long a policy close waits for the op being committed, so its sender learns the outcome. */
export const POLICY_CLOSE_WAIT_MS = 5000;
/** Commit time assumed before any commit was timed. */
const INITIAL_COMMIT_MS = 20;

/** Extra weight of a frame for its size. */
export function bytesCost(bytes: number): number {
  return Math.floor(bytes / BYTES_PER_TOKEN);
}

/** Weight of a `sync`: proportional to the range it will read and send. */
export function syncCost(message: ClientMessageOf<'sync'>): number {
  const range = Math.min(message.toSeq - message.fromSeq + 1, LIMITS.MAX_SYNC_RANGE);
  return 1 + Math.ceil(range / SYNC_OPS_PER_TOKEN);
}

/**
 * The node-wide side of admission: ops queued per map across connections, and the recent pace
 * of commits (to say how long a refused client should wait).
 */
export class Admission {
  readonly #limits: { maxInflightOps: number; maxMapQueuedOps: number };
  readonly #mapQueued = new Map<string, number>();
  #commitMs = INITIAL_COMMIT_MS;

  constructor(limits: { maxInflightOps: number; maxMapQueuedOps: number }) {
    this.#limits = limits;
  }

  /** Ops accepted on this node for `mapId` and not yet answered. */
  queuedOn(mapId: string): number {
    return this.#mapQueued.get(mapId) ?? 0;
  }

  /** A commit took `ms`: folded into the moving average. */
  recordCommit(ms: number): void {
    this.#commitMs += (ms - this.#commitMs) * 0.2;
  }

  /** Roughly when `ahead` queued ops will have been committed. */
  retryAfterMs(ahead: number): number {
    const estimate = Math.ceil(ahead * this.#commitMs);
    return Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, estimate));
  }

  /** Why an op for `mapId` from `session` cannot be queued now, or null when it can. */
  refusal(session: Session, mapId: string): Refusal | null {
    const mine = session.opsInFlight;
    if (mine >= this.#limits.maxInflightOps || session.queued >= MAX_QUEUED_TASKS) {
      return {
        code: ErrorCode.OVERLOADED,
        message: `too many ops in flight on this connection (${mine}); retry after the earlier ones are answered`,
        retryAfterMs: this.retryAfterMs(mine),
      };
    }
    const onMap = this.queuedOn(mapId);
    if (onMap >= this.#limits.maxMapQueuedOps) {
      return {
        code: ErrorCode.OVERLOADED,
        message: 'too many ops queued for this map; retry shortly',
        retryAfterMs: this.retryAfterMs(onMap),
      };
    }
    return null;
  }

  accept(session: Session, mapId: string, opId: string): AcceptedOp {
    this.#mapQueued.set(mapId, this.queuedOn(mapId) + 1);
    return session.acceptOp(mapId, opId);
  }

  /** The op was answered, abandoned, or its socket closed; counted off once whatever happens. */
  release(session: Session, op: AcceptedOp): void {
    if (!session.settleOp(op)) return;
    this.#releaseMap(op.mapId);
  }

  /** Take the session's queued ops off the books (they will not run); returns them. */
  abandonQueued(session: Session): AcceptedOp[] {
    const abandoned = session.abandonQueuedOps();
    for (const op of abandoned) this.#releaseMap(op.mapId);
    return abandoned;
  }

  #releaseMap(mapId: string): void {
    const left = this.queuedOn(mapId) - 1;
    if (left > 0) this.#mapQueued.set(mapId, left);
    else this.#mapQueued.delete(mapId);
  }
}

/** Answer a refused message: a reject with its op id for an op, a typed error naming it otherwise. */
function refuse(ctx: ServerContext, session: Session, message: ClientMessage, refusal: Refusal): void {
  if (message.type === 'op') {
    sendReject(ctx, session, { mapId: message.mapId, opId: message.opId, ...refusal });
    return;
  }
  const mapId = 'mapId' in message ? message.mapId : undefined;
  sendError(ctx, session, refusal.code, refusal.message, message.type, mapId, refusal.retryAfterMs);
}

/**
 * Charge a message of weight `cost` against its connection's rate limit. Over it, the message is
 * refused (RATE_LIMITED with the wait the token bucket needs), and a connection that keeps sending
 * past its budget of such refusals is closed for abuse. True when the message may go on.
 */
export function chargeMessage(
  ctx: ServerContext,
  session: Session,
  message: ClientMessage,
  cost: number,
): boolean {
  const now = ctx.clock.now();
  if (session.takeMessage(now, cost)) return true;
  refuse(ctx, session, message, {
    code: ErrorCode.RATE_LIMITED,
    message: 'slow down: message rate limit exceeded',
    retryAfterMs: session.messageWaitMs(now, cost),
  });
  if (!session.takeExcess(now)) closeForAbuse(ctx, session, 'rate limit exceeded');
  return false;
}

/**
 * Accept an op into its connection's queue, or refuse it at once (OVERLOADED) when the connection
 * or its map already has as much waiting as allowed. Null when refused (and answered).
 */
export function acceptOp(
  ctx: ServerContext,
  session: Session,
  message: ClientMessageOf<'op'>,
): AcceptedOp | null {
  const refusal = ctx.admission.refusal(session, message.mapId);
  if (refusal) {
    refuse(ctx, session, message, refusal);
    return null;
  }
  return ctx.admission.accept(session, message.mapId, message.opId);
}

/** Refuse a message other than an op because its connection has too much queued already. */
export function refuseOverloaded(ctx: ServerContext, session: Session, message: ClientMessage): void {
  refuse(ctx, session, message, {
    code: ErrorCode.OVERLOADED,
    message: 'too many requests in flight on this connection',
    retryAfterMs: ctx.admission.retryAfterMs(session.queued),
  });
}

/**
 * Close a connection for sustained abuse (1008, "do not reconnect"), leaving no accepted op
 * without an answer: the queued ops are refused now with a transient reject (nothing of them was
 * committed; the client keeps them pending), and the close waits for the op being committed, if
 * any, so its ack or reject goes out first (at most POLICY_CLOSE_WAIT_MS). Nothing more is read.
 */
export function closeForAbuse(ctx: ServerContext, session: Session, reason: string): void {
  if (!session.open || session.closing || session.policyClosing) return;
  session.policyClosing = true;
  const retryAfterMs = Math.max(MIN_RETRY_AFTER_MS, session.messageWaitMs(ctx.clock.now()));
  for (const op of ctx.admission.abandonQueued(session)) {
    sendReject(ctx, session, {
      mapId: op.mapId,
      opId: op.opId,
      code: ErrorCode.RATE_LIMITED,
      message: 'not committed: the connection is closed for flooding',
      retryAfterMs,
    });
  }
  const close = () => {
    ctx.outbox.flushBacklog(session);
    ctx.outbox.close(session, CloseCode.POLICY_VIOLATION, reason);
  };
  if (session.queued === 0) {
    close();
    return;
  }
  const timer = setTimeout(close, POLICY_CLOSE_WAIT_MS);
  void session.enqueue(async () => {
    clearTimeout(timer);
    close();
  });
}
