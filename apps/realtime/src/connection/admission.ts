import { type ClientMessage, type ClientMessageOf, CloseCode, ErrorCode, LIMITS } from '@meridian/protocol';
import type { ServerContext } from '../context.ts';
import { MIN_RETRY_AFTER_MS, type Refusal } from './admission-ledger.ts';
import { sendError, sendReject } from './replies.ts';
import type { AcceptedOp, Session } from './session.ts';

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
/** How long a policy close waits for the op being committed, so its sender learns the outcome. */
export const POLICY_CLOSE_WAIT_MS = 5000;

/**
 * Bulk ops (`features.import`, `features.delete`) are charged to a budget of their own, in KiB
 * (BULK_RATE_KIB_PER_S, BULK_BURST_KIB), not to the message rate: one chunk is one commit and
 * one broadcast however many features it carries, so a person's import is bounded by the bytes it
 * makes this node parse, store and send, and it neither uses up nor waits for the message budget
 * that their own single edits (and presence) need. Each op also pays this much for its commit, so
 * a flood of tiny bulk ops is bounded by commits too.
 */
export const BULK_OP_OVERHEAD_KIB = 16;

/** Whether an op is charged to the bulk budget. */
export function isBulkOp(message: ClientMessage): message is ClientMessageOf<'op'> {
  return (
    message.type === 'op' && (message.op.kind === 'features.import' || message.op.kind === 'features.delete')
  );
}

/** Weight of a bulk op against the bulk budget: its frame in KiB plus BULK_OP_OVERHEAD_KIB. */
export function bulkCostKiB(bytes: number): number {
  return Math.ceil(bytes / 1024) + BULK_OP_OVERHEAD_KIB;
}

/** Weight of a single op: OP_COST plus its size (see BYTES_PER_TOKEN). */
export function opCost(_message: ClientMessageOf<'op'>, bytes: number): number {
  return OP_COST + bytesCost(bytes);
}

/** Extra weight of a frame for its size. */
export function bytesCost(bytes: number): number {
  return Math.floor(bytes / BYTES_PER_TOKEN);
}

/** Weight of a `sync`: proportional to the range it will read and send. */
export function syncCost(message: ClientMessageOf<'sync'>): number {
  const range = Math.min(message.toSeq - message.fromSeq + 1, LIMITS.MAX_SYNC_RANGE);
  return 1 + Math.ceil(range / SYNC_OPS_PER_TOKEN);
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
 * Charge a bulk op of `bytes` against its connection's bulk budget. Over it, the op is refused
 * (RATE_LIMITED with the wait the budget needs; the client holds its queue that long), and such
 * refusals count toward the same abuse budget as the message rate's. True when it may go on.
 */
export function chargeBulk(
  ctx: ServerContext,
  session: Session,
  message: ClientMessageOf<'op'>,
  bytes: number,
): boolean {
  const now = ctx.clock.now();
  const cost = bulkCostKiB(bytes);
  if (session.takeBulk(now, cost)) return true;
  refuse(ctx, session, message, {
    code: ErrorCode.RATE_LIMITED,
    message: 'slow down: bulk (import) budget exceeded',
    retryAfterMs: session.bulkWaitMs(now, cost),
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
  if (!session.isActive || !session.beginClose(CloseCode.POLICY_VIOLATION)) return;
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

/** An error for a message that should never have been sent; repeated ones close the connection (1008). */
export function refuseInvalid(
  ctx: ServerContext,
  session: Session,
  code: ErrorCode,
  message: string,
  ref?: string,
): void {
  sendError(ctx, session, code, message, ref);
  if (!session.takeInvalid(ctx.clock.now())) closeForAbuse(ctx, session, 'too many invalid messages');
}
