import type { Feature } from '../geo.ts';
import type { Layer, Op, OpRecord } from '../messages/common.ts';
import { applyOp, cloneMapState, createMapState, type MapState, touchedFeatureIds } from '../state.ts';

/** An op this client made that the server has not yet confirmed in its seq order. */
export interface PendingOp {
  opId: string;
  op: Op;
  /** Set by `ack`; the op stays pending until the record with this seq is applied. */
  ackedSeq?: number;
}

/** Which features a change touched: their ids, or 'all' after a snapshot. */
export type Changed = ReadonlySet<string> | 'all';

export type ReceiveResult =
  | { kind: 'applied'; changed: Changed }
  | { kind: 'duplicate' }
  /** Records were buffered; the client should ask for [fromSeq, toSeq]. */
  | { kind: 'gap'; fromSeq: number; toSeq: number };

/**
 * The client's copy of one map: the confirmed state (snapshot + ops applied strictly in seq order)
 * and the optimistic view (confirmed state with this client's pending ops applied on top).
 * Pure and synchronous, so it is tested without sockets.
 */
export class MapReplica {
  readonly clientId: string;
  #confirmed: MapState = createMapState('');
  #seq = 0;
  #hasSnapshot = false;
  #pending: PendingOp[] = [];
  #view: MapState | null = null;
  /** Records that arrived ahead of a gap, by seq. */
  readonly #ahead = new Map<number, OpRecord>();

  constructor(clientId: string) {
    this.clientId = clientId;
  }

  get seq(): number {
    return this.#seq;
  }

  get hasSnapshot(): boolean {
    return this.#hasSnapshot;
  }

  get confirmed(): MapState {
    return this.#confirmed;
  }

  /** The optimistic view: what the user sees. */
  get view(): MapState {
    if (this.#pending.length === 0) return this.#confirmed;
    if (!this.#view) {
      const view = cloneMapState(this.#confirmed);
      // A pending op that no longer applies (someone deleted the feature) is left out of the view;
      // the server will reject it and the client drops it then.
      for (const pending of this.#pending) applyOp(view, pending.op);
      this.#view = view;
    }
    return this.#view;
  }

  get pending(): readonly PendingOp[] {
    return this.#pending;
  }

  /** Ops not yet acknowledged: the ones to (re)send after a reconnect. */
  get unacknowledged(): PendingOp[] {
    return this.#pending.filter((p) => p.ackedSeq === undefined);
  }

  /** True while `opId` is pending and the server has not acknowledged it. */
  isUnacknowledged(opId: string): boolean {
    return this.#pending.some((p) => p.opId === opId && p.ackedSeq === undefined);
  }

  /** Replace the confirmed state (join without resume, or a gap too old to replay). */
  applySnapshot(
    seq: number,
    name: string,
    features: Iterable<Feature>,
    layers: Iterable<Layer> = [],
  ): Changed {
    this.#confirmed = createMapState(name, features, layers);
    this.#seq = seq;
    this.#hasSnapshot = true;
    for (const key of this.#ahead.keys()) if (key <= seq) this.#ahead.delete(key);
    // Acked ops at or below the snapshot seq are part of it now.
    this.#pending = this.#pending.filter((p) => p.ackedSeq === undefined || p.ackedSeq > seq);
    this.#view = null;
    this.#drainAhead(new Set());
    return 'all';
  }

  /** Add a local op to the optimistic view. Returns the ids it touches. */
  addPending(opId: string, op: Op): Changed {
    // Only layer.remove and layer.update read the state (the layer's features). A user layer's
    // features may still be pending here, so those (rare) ops ask the optimistic view; every
    // other op is answered by the confirmed state without rebuilding the view on each edit.
    const touched = touchedFeatureIds(
      op.kind === 'layer.remove' || op.kind === 'layer.update' ? this.view : this.#confirmed,
      op,
    );
    this.#pending.push({ opId, op });
    this.#view = null;
    return new Set(touched);
  }

  /** The server committed our op as `seq`. */
  acknowledge(opId: string, seq: number): void {
    const pending = this.#pending.find((p) => p.opId === opId);
    if (!pending) return;
    if (seq <= this.#seq) {
      // Its record was already applied through the broadcast.
      this.#removePending(opId);
    } else {
      pending.ackedSeq = seq;
    }
  }

  /** The server refused our op: drop it from the view. */
  reject(opId: string): { op: Op; changed: Changed } | null {
    const pending = this.#pending.find((p) => p.opId === opId);
    if (!pending) return null;
    const touched = touchedFeatureIds(this.#confirmed, pending.op);
    this.#removePending(opId);
    return { op: pending.op, changed: new Set(touched) };
  }

  /** The range still missing before the records held ahead of it, or null when nothing is held. */
  gap(): { fromSeq: number; toSeq: number } | null {
    if (this.#ahead.size === 0) return null;
    return { fromSeq: this.#seq + 1, toSeq: Math.min(...this.#ahead.keys()) - 1 };
  }

  /** A committed record from the server, live or replayed. */
  receive(record: OpRecord): ReceiveResult {
    if (record.seq <= this.#seq) return { kind: 'duplicate' };
    if (record.seq > this.#seq + 1) {
      this.#ahead.set(record.seq, record);
      const firstAhead = Math.min(...this.#ahead.keys());
      return { kind: 'gap', fromSeq: this.#seq + 1, toSeq: firstAhead - 1 };
    }
    const changed = new Set<string>();
    this.#applyRecord(record, changed);
    this.#drainAhead(changed);
    return { kind: 'applied', changed };
  }

  #applyRecord(record: OpRecord, changed: Set<string>): void {
    // The record of our oldest pending op leaves the optimistic view as it was: the view already
    // showed that op applied, on this same confirmed state, and applyOp is deterministic. Keeping
    // it spares a copy of the whole map per record while an import's chunks come back.
    const ownOldest = record.clientId === this.clientId && this.#pending[0]?.opId === record.opId;
    const view = ownOldest ? this.#view : null;
    for (const id of touchedFeatureIds(this.#confirmed, record.op)) changed.add(id);
    applyOp(this.#confirmed, record.op);
    this.#seq = record.seq;
    if (record.clientId === this.clientId) this.#removePending(record.opId);
    // Pending ops are replayed on top of the new confirmed state, so what they touch may change too.
    if (!ownOldest)
      for (const pending of this.#pending)
        for (const id of touchedFeatureIds(this.#confirmed, pending.op)) changed.add(id);
    this.#view = this.#pending.length > 0 ? view : null;
  }

  #drainAhead(changed: Set<string>): void {
    for (let next = this.#ahead.get(this.#seq + 1); next; next = this.#ahead.get(this.#seq + 1)) {
      this.#ahead.delete(next.seq);
      this.#applyRecord(next, changed);
    }
  }

  #removePending(opId: string): void {
    const index = this.#pending.findIndex((p) => p.opId === opId);
    if (index >= 0) {
      this.#pending.splice(index, 1);
      this.#view = null;
    }
  }
}
