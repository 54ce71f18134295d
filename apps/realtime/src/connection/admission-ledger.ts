import { ErrorCode } from '@meridian/protocol';
import { type AcceptedOp, MAX_QUEUED_TASKS, type Session } from './session.ts';

/** A refusal: its code, words for the person, and for a transient code when to try again. */
export interface Refusal {
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}

/** Bounds of the wait announced with OVERLOADED (a guess from the recent commit pace). */
export const MIN_RETRY_AFTER_MS = 100;
const MAX_RETRY_AFTER_MS = 10_000;
/** Commit time assumed before any commit was timed. */
const INITIAL_COMMIT_MS = 20;

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
