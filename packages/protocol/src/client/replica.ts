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
  | { kind: 'gap'; fromSeq: number; toSeq: number }
  /** Kept until the streamed snapshot being received is complete. */
  | { kind: 'held' };

/** How far a streamed snapshot has come. */
export interface SnapshotProgress {
  seq: number;
  loadedFeatures: number;
  totalFeatures: number;
}

/**
 * A streamed snapshot being received. On a first join it fills the confirmed state in place, so
 * the map is drawn as chunks arrive; when the replica already holds a snapshot (a resume too old
 * to replay) it fills a separate state that replaces the confirmed one at the end, so nobody
 * sees the map empty and refill.
 */
interface SnapshotStream {
  seq: number;
  state: MapState;
  visible: boolean;
  nextIndex: number;
  loadedFeatures: number;
  totalFeatures: number;
}

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
  #committedUnacked: { opId: string; seq: number }[] = [];
  #view: MapState | null = null;
  /** Records that arrived ahead of a gap, by seq. */
  readonly #ahead = new Map<number, OpRecord>();
  #stream: SnapshotStream | null = null;

  constructor(clientId: string) {
    this.clientId = clientId;
  }

  get seq(): number {
    return this.#seq;
  }

  get hasSnapshot(): boolean {
    return this.#hasSnapshot;
  }

  /** While a streamed snapshot arrives: how far it has come; otherwise null. */
  get loading(): SnapshotProgress | null {
    const stream = this.#stream;
    if (!stream) return null;
    return { seq: stream.seq, loadedFeatures: stream.loadedFeatures, totalFeatures: stream.totalFeatures };
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
    this.#stream = null;
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

  /**
   * A streamed snapshot at `seq` begins (`snapshotBegin`): 'all' when it is drawn as it arrives
   * (the replica had no snapshot), else an empty set (the current state stays until the end).
   */
  beginSnapshot(seq: number, name: string, layers: Iterable<Layer>, totalFeatures: number): Changed {
    const visible = !this.#hasSnapshot;
    const state = createMapState(name, [], layers);
    this.#stream = { seq, state, visible, nextIndex: 0, loadedFeatures: 0, totalFeatures };
    if (!visible) return new Set();
    this.#confirmed = state;
    this.#view = null;
    return 'all';
  }

  /**
   * One chunk of the streamed snapshot: the ids it added while drawn as it arrives (else an empty
   * set), or null when it does not continue the stream (another seq, or out of order): the stream
   * is then broken and `endSnapshot` refuses it.
   */
  applySnapshotChunk(seq: number, index: number, features: readonly Feature[]): Changed | null {
    const stream = this.#stream;
    if (!stream || stream.seq !== seq || stream.nextIndex !== index) {
      if (stream) stream.nextIndex = Number.NaN;
      return null;
    }
    stream.nextIndex++;
    const ids = new Set<string>();
    for (const feature of features) {
      stream.state.features.set(feature.id, feature);
      ids.add(feature.id);
    }
    stream.loadedFeatures = stream.state.features.size;
    if (!stream.visible) return new Set();
    this.#view = null;
    return ids;
  }

  /**
   * The streamed snapshot at `seq` ended after `chunkCount` chunks: it becomes the confirmed state
   * (as `applySnapshot` does). Null when the chunks received do not match (nothing changes then but
   * the end of the stream: the caller must get a fresh snapshot).
   */
  endSnapshot(seq: number, chunkCount: number): Changed | null {
    const stream = this.#stream;
    this.#stream = null;
    if (
      !stream ||
      stream.seq !== seq ||
      stream.nextIndex !== chunkCount ||
      stream.loadedFeatures !== stream.totalFeatures
    ) {
      return null;
    }
    this.#confirmed = stream.state;
    this.#seq = seq;
    this.#hasSnapshot = true;
    for (const key of this.#ahead.keys()) if (key <= seq) this.#ahead.delete(key);
    this.#pending = this.#pending.filter((p) => p.ackedSeq === undefined || p.ackedSeq > seq);
    this.#view = null;
    const changed = new Set<string>();
    this.#drainAhead(changed);
    return stream.visible ? changed : 'all';
  }

  /** The connection was lost while a snapshot streamed: forget it (the next join asks for a whole one). */
  abortSnapshot(): void {
    this.#stream = null;
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
    const stream = this.#stream;
    if (stream) {
      // A server sends none before the snapshot's end; should one come, it waits for the end.
      if (record.seq <= stream.seq) return { kind: 'duplicate' };
      this.#ahead.set(record.seq, record);
      return { kind: 'held' };
    }
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
    // …so nothing in the view changed either: a map need not redraw an import's features as each
    // chunk is confirmed.
    if (!ownOldest) for (const id of touchedFeatureIds(this.#confirmed, record.op)) changed.add(id);
    applyOp(this.#confirmed, record.op);
    this.#seq = record.seq;
    if (record.clientId === this.clientId) this.#removePending(record.opId, record.seq);
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

  /** `committedSeq`: its record was applied at that seq (not an ack, not a refusal). */
  #removePending(opId: string, committedSeq?: number): void {
    const index = this.#pending.findIndex((p) => p.opId === opId);
    if (index >= 0) {
      if (committedSeq !== undefined && this.#pending[index]?.ackedSeq === undefined)
        this.#committedUnacked.push({ opId, seq: committedSeq });
      this.#pending.splice(index, 1);
      this.#view = null;
    }
  }

  /**
   * Own ops whose record was applied before their ack came (a resume replays a chunk the dead
   * node committed but never acknowledged): committed at that seq, so the caller settles them as
   * if acknowledged; no ack will come for them. Emptied by the call.
   */
  takeCommittedUnacked(): { opId: string; seq: number }[] {
    const taken = this.#committedUnacked;
    this.#committedUnacked = [];
    return taken;
  }
}
