import type { Op } from '../messages/common.ts';

/**
 * How a client resends, after it (re)joins, the ops the server has not acknowledged. The server
 * refuses more than 256 requests in flight per connection and rate-limits each connection (by
 * default 50 messages a second after a burst of 200, presence included), so a long offline spell
 * must not come back as one burst: it would be refused op by op, then closed.
 */
export interface ResendPacing {
  /** Most ops sent and not yet acknowledged or rejected. */
  window: number;
  /** Ops that may leave at once... */
  burst: number;
  /** ...and then per second. */
  perSecond: number;
}

export const DEFAULT_RESEND_PACING: ResendPacing = { window: 64, burst: 40, perSecond: 20 };

export interface OutgoingOp {
  opId: string;
  op: Op;
}

/**
 * The backlog of ops to resend, in order, released by a token bucket and an in-flight window that
 * reopens as acks (or rejects) come back. Ops submitted while a backlog drains queue behind it, so
 * the server still receives every op in the order it was made. Pure: the caller passes the time.
 */
export class ResendPacer {
  readonly #pacing: ResendPacing;
  #queue: OutgoingOp[] = [];
  readonly #inFlight = new Set<string>();
  #tokens: number;
  #refilledAt: number;

  constructor(pacing: ResendPacing = DEFAULT_RESEND_PACING, nowMs = 0) {
    if (pacing.window < 1 || pacing.burst < 1 || pacing.perSecond <= 0)
      throw new RangeError('resend pacing needs window >= 1, burst >= 1 and perSecond > 0');
    this.#pacing = pacing;
    this.#tokens = pacing.burst;
    this.#refilledAt = nowMs;
  }

  /** Ops waiting for their turn. While there are some, new ops must queue here too. */
  get backlog(): number {
    return this.#queue.length;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** A new connection: resend these (the unacknowledged ops, in order) from scratch. */
  start(ops: readonly OutgoingOp[]): void {
    this.#queue = [...ops];
    this.#inFlight.clear();
  }

  /** An op made while the backlog drains. */
  push(op: OutgoingOp): void {
    this.#queue.push(op);
  }

  /** The server acknowledged or rejected this op: its slot in the window is free. */
  settle(opId: string): void {
    this.#inFlight.delete(opId);
  }

  /** The connection is gone: nothing is in flight on it any more. */
  clear(): void {
    this.#queue = [];
    this.#inFlight.clear();
  }

  /** The ops that may be sent now, in order (marked in flight). */
  take(nowMs: number): OutgoingOp[] {
    this.#refill(nowMs);
    const out: OutgoingOp[] = [];
    while (this.#queue.length > 0 && this.#tokens >= 1 && this.#inFlight.size < this.#pacing.window) {
      const next = this.#queue.shift() as OutgoingOp;
      this.#inFlight.add(next.opId);
      this.#tokens -= 1;
      out.push(next);
    }
    return out;
  }

  /**
   * How long until `take` can release more, when only time stands in the way; null when nothing
   * is waiting or the window is full (an ack, not a timer, reopens it).
   */
  waitMs(nowMs: number): number | null {
    if (this.#queue.length === 0 || this.#inFlight.size >= this.#pacing.window) return null;
    this.#refill(nowMs);
    if (this.#tokens >= 1) return 0;
    return Math.ceil(((1 - this.#tokens) / this.#pacing.perSecond) * 1000);
  }

  #refill(nowMs: number): void {
    const elapsedS = Math.max(0, nowMs - this.#refilledAt) / 1000;
    this.#tokens = Math.min(this.#pacing.burst, this.#tokens + elapsedS * this.#pacing.perSecond);
    this.#refilledAt = nowMs;
  }
}
