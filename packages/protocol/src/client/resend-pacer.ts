import type { Op } from '../messages/common.ts';

/**
 * How fast a client sends its ops: new edits, the ops it resends after a (re)join, and the ones it
 * retries after a transient refusal. The server refuses more than 256 requests in flight per
 * connection and rate-limits each connection (by default 50 messages a second after a burst of
 * 200, presence included), so a long offline spell or a big import must not go out as one burst:
 * it would be refused op by op, then closed. This is the client's only pacer.
 */
export interface ResendPacing {
  /** Most ops sent and not yet acknowledged or rejected. */
  window: number;
  /** Ops that may leave at once... */
  burst: number;
  /** ...and then per second. */
  perSecond: number;
  /**
   * Bulk ops (import chunks, multi-deletes) of one kind in flight together (default
   * DEFAULT_BULK_WINDOW). They take none of the tokens above: the server charges them to a budget
   * of their own, by size, and says how long to wait when it is spent.
   */
  bulkWindow?: number;
}

export const DEFAULT_RESEND_PACING: ResendPacing = { window: 64, burst: 40, perSecond: 20 };

/**
 * Import chunks in flight at once: the server commits one connection's ops one after another, so
 * this only needs to cover the round trip and the client's own work on each chunk.
 */
export const DEFAULT_BULK_WINDOW = 6;

export interface OutgoingOp {
  opId: string;
  op: Op;
}

/**
 * What an op changes, for ordering: two ops on the same target are never in flight together, so
 * a refusal that sends the first one back cannot let the second overtake it (an update landing
 * before its feature's create, or an older title overwriting a newer one).
 */
export function opTarget(op: Op): string | null {
  switch (op.kind) {
    case 'feature.create':
      return `feature:${op.feature.id}`;
    case 'feature.update':
    case 'feature.move':
    case 'feature.delete':
      return `feature:${op.id}`;
    case 'map.rename':
      return 'map';
    // Bulk ops have their own rule in ResendPacer.take: several of one kind at once (an import's
    // chunks touch disjoint features), never an import's chunk together with a delete's.
    case 'features.import':
    case 'features.delete':
      return 'bulk';
    case 'layer.add':
      return `layer:${op.layer.id}`;
    case 'layer.update':
    case 'layer.remove':
      return `layer:${op.id}`;
    case 'layer.entries':
      return `layer:${op.layerId}`;
  }
}

/**
 * Every target an op must not overtake: its own (`opTarget`), plus the user layer it puts features
 * into, so a feature made in (or moved to) a new layer never reaches the server before the layer
 * (a transient refusal of the `layer.add` would otherwise turn into a final LAYER_NOT_FOUND).
 */
export function opTargets(op: Op): string[] {
  const own = opTarget(op);
  const targets = own === null ? [] : [own];
  const layers = new Set<string>();
  if (op.kind === 'feature.create' && op.feature.properties.layer != null)
    layers.add(op.feature.properties.layer);
  if (op.kind === 'features.import')
    for (const feature of op.features)
      if (feature.properties.layer != null) layers.add(feature.properties.layer);
  if (op.kind === 'feature.update' && typeof op.properties.layer === 'string')
    layers.add(op.properties.layer);
  for (const layer of layers) targets.push(`layer:${layer}`);
  return targets;
}

type BulkKind = 'features.import' | 'features.delete';

function isBulk(op: Op): op is Extract<Op, { kind: BulkKind }> {
  return op.kind === 'features.import' || op.kind === 'features.delete';
}

interface Ranked extends OutgoingOp {
  /** Order in which the op was made: a retried op goes back in its place, not at the end. */
  rank: number;
}

/**
 * The queue of ops to send, in the order they were made, released by a token bucket and an
 * in-flight window that reopens as acks (or rejects) come back; ops on the same target (see
 * `opTarget`) go one at a time. An op refused for a transient reason is put back in its place and
 * holds the queue until its retry time, so the server commits every target's ops in the order
 * they were made. Pure: the caller passes the time.
 */
export class ResendPacer {
  readonly #pacing: ResendPacing;
  readonly #bulkWindow: number;
  #queue: Ranked[] = [];
  readonly #inFlight = new Map<string, Ranked>();
  #nextRank = 0;
  /** Nothing leaves before this time (a transient refusal asked to wait). */
  #holdUntil = 0;
  #tokens: number;
  #refilledAt: number;

  constructor(pacing: ResendPacing = DEFAULT_RESEND_PACING, nowMs = 0) {
    if (pacing.window < 1 || pacing.burst < 1 || pacing.perSecond <= 0 || (pacing.bulkWindow ?? 1) < 1)
      throw new RangeError('resend pacing needs window >= 1, burst >= 1, perSecond > 0 and bulkWindow >= 1');
    this.#pacing = pacing;
    this.#bulkWindow = pacing.bulkWindow ?? DEFAULT_BULK_WINDOW;
    this.#tokens = pacing.burst;
    this.#refilledAt = nowMs;
  }

  /** Ops waiting for their turn. */
  get backlog(): number {
    return this.#queue.length;
  }

  /** When the queue is held after a transient refusal, the time it opens again; else null. */
  heldUntil(nowMs: number): number | null {
    return this.#holdUntil > nowMs ? this.#holdUntil : null;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** A new connection: resend these (the unacknowledged ops, in order) from scratch. */
  start(ops: readonly OutgoingOp[]): void {
    this.#queue = ops.map((op) => ({ ...op, rank: this.#nextRank++ }));
    this.#inFlight.clear();
    this.#holdUntil = 0;
  }

  /** Ids of the ops sent and not yet answered. */
  inFlightIds(): string[] {
    return [...this.#inFlight.keys()];
  }

  /** Send nothing before `untilMs` (the server asked to slow down). */
  hold(untilMs: number): void {
    this.#holdUntil = Math.max(this.#holdUntil, untilMs);
  }

  /** A new op: it leaves after everything queued before it. */
  push(op: OutgoingOp): void {
    this.#queue.push({ ...op, rank: this.#nextRank++ });
  }

  /**
   * The server refused this in-flight op for a transient reason: put it back in its place and
   * send nothing before `notBeforeMs`. Returns false when the op was not in flight.
   */
  requeue(opId: string, notBeforeMs: number): boolean {
    const entry = this.#inFlight.get(opId);
    if (!entry) return false;
    this.#inFlight.delete(opId);
    const at = this.#queue.findIndex((queued) => queued.rank > entry.rank);
    if (at < 0) this.#queue.push(entry);
    else this.#queue.splice(at, 0, entry);
    this.#holdUntil = Math.max(this.#holdUntil, notBeforeMs);
    return true;
  }

  /** The server acknowledged or rejected this op: its slot in the window is free. */
  settle(opId: string): void {
    this.#inFlight.delete(opId);
  }

  /** The connection is gone: nothing is in flight on it any more. */
  clear(): void {
    this.#queue = [];
    this.#inFlight.clear();
    this.#holdUntil = 0;
  }

  /** The ops that may be sent now, in order (marked in flight). */
  take(nowMs: number): OutgoingOp[] {
    this.#refill(nowMs);
    const out: OutgoingOp[] = [];
    if (nowMs < this.#holdUntil) return out;
    const busy = this.#busyTargets();
    const bulk = this.#bulkInFlight();
    // Once one bulk op waits, every later one waits too: they leave in the order they were made.
    let bulkWaiting = false;
    const waiting: Ranked[] = [];
    for (const next of this.#queue) {
      const targets = opTargets(next.op);
      const blocked = targets.some((target) => busy.has(target));
      const full = this.#inFlight.size >= this.#pacing.window;
      if (isBulk(next.op)) {
        const kind = next.op.kind;
        // Chunks share the 'bulk' target and go several at once; only a new layer holds them back.
        const layerBusy = targets.some((target) => target !== 'bulk' && busy.has(target));
        if (
          full ||
          layerBusy ||
          bulkWaiting ||
          bulk.count >= this.#bulkWindow ||
          (bulk.kind !== null && bulk.kind !== kind)
        ) {
          waiting.push(next);
          bulkWaiting = true;
          for (const target of targets) busy.add(target);
          continue;
        }
        this.#inFlight.set(next.opId, next);
        bulk.count += 1;
        bulk.kind = kind;
        out.push({ opId: next.opId, op: next.op });
        continue;
      }
      if (blocked || this.#tokens < 1 || full) {
        waiting.push(next);
        // A later op on the same target stays behind this one.
        for (const target of targets) busy.add(target);
        continue;
      }
      this.#inFlight.set(next.opId, next);
      this.#tokens -= 1;
      for (const target of targets) busy.add(target);
      out.push({ opId: next.opId, op: next.op });
    }
    this.#queue = waiting;
    return out;
  }

  /**
   * How long until `take` can release more, when only time stands in the way; null when nothing
   * is waiting or the window is full (an ack, not a timer, reopens it).
   */
  waitMs(nowMs: number): number | null {
    if (this.#queue.length === 0 || this.#inFlight.size >= this.#pacing.window) return null;
    if (nowMs < this.#holdUntil) return this.#holdUntil - nowMs;
    // Every waiting op is behind one in flight on its target: an answer, not time, frees them.
    const busy = this.#busyTargets();
    if (this.#queue.every((queued) => opTargets(queued.op).some((target) => busy.has(target)))) return null;
    this.#refill(nowMs);
    if (this.#tokens >= 1) return 0;
    return Math.ceil(((1 - this.#tokens) / this.#pacing.perSecond) * 1000);
  }

  /** How many bulk ops are in flight, and of which kind (one kind at a time). */
  #bulkInFlight(): { count: number; kind: BulkKind | null } {
    let count = 0;
    let kind: BulkKind | null = null;
    for (const sent of this.#inFlight.values()) {
      if (!isBulk(sent.op)) continue;
      count += 1;
      kind = sent.op.kind;
    }
    return { count, kind };
  }

  #busyTargets(): Set<string> {
    const busy = new Set<string>();
    for (const sent of this.#inFlight.values()) for (const target of opTargets(sent.op)) busy.add(target);
    return busy;
  }

  #refill(nowMs: number): void {
    const elapsedS = Math.max(0, nowMs - this.#refilledAt) / 1000;
    this.#tokens = Math.min(this.#pacing.burst, this.#tokens + elapsedS * this.#pacing.perSecond);
    this.#refilledAt = nowMs;
  }
}
