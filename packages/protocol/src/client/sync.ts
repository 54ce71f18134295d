import { ErrorCode, isTransientCode } from '../codes.ts';
import { randomId } from '../ids.ts';
import type { ClientMessage } from '../messages/client.ts';
import type { BulkBatch, Op, OpRecord, PresenceEntry, Role } from '../messages/common.ts';
import type { LayerStatus, ServerMessage, ServerMessageOf } from '../messages/server.ts';
import { type BackoffOptions, DEFAULT_BACKOFF, retryDelayMs } from './backoff.ts';
import { type Clock, Timer } from './clock.ts';
import { Emitter } from './emitter.ts';
import { type Changed, MapReplica, type SnapshotProgress } from './replica.ts';
import { DEFAULT_RESEND_PACING, ResendPacer, type ResendPacing } from './resend-pacer.ts';

/** How long to wait before asking again for a refused `sync` when the server named no time. */
const SYNC_RETRY_DEFAULT_MS = 1000;

/** Which features changed, and whether this client's own edit (`local`) or the server did it. */
export interface FeaturesChangedEvent {
  ids: Changed;
  origin: 'local' | 'remote';
  /**
   * For one remote record: the client that made it and the op's kind; for a bulk op also the
   * import (or multi-delete) it is a chunk of, and its author's name as the server stamped it.
   */
  by?: { clientId: string; opKind: Op['kind']; batch?: BulkBatch; name?: string };
  /**
   * Set when the change is a chunk of a bulk op (`features.import` / `features.delete`), local or
   * remote, with the import (or multi-delete) it belongs to when the op names one: a map can wait
   * for more of them before redrawing.
   */
  bulk?: { batch?: BulkBatch };
}

/**
 * The server refused an op. `final: false` means the refusal was transient: the op is still
 * pending and goes out again (same op id) in `retryInMs`. `final: true` means it was removed.
 */
export interface OpRejectedEvent {
  opId: string;
  op: Op;
  code: ErrorCode;
  message: string;
  final: boolean;
  retryInMs?: number;
}

export interface SyncEvents {
  featuresChanged: (event: FeaturesChangedEvent) => void;
  ack: (opId: string, seq: number) => void;
  opRejected: (event: OpRejectedEvent) => void;
  /** A live-feed layer's status changed (or arrived after join). */
  layerStatus: (statuses: ReadonlyMap<string, LayerStatus>) => void;
  /** The snapshot or resume replay arrived: the map is joined; `presence` lists who is here. */
  joined: (presence: readonly PresenceEntry[]) => void;
  /** A streamed snapshot began or a chunk of it was applied (the features are in the replica). */
  snapshotProgress: (progress: SnapshotProgress) => void;
  /**
   * A streamed snapshot arrived incomplete or out of order (never from a correct server): the
   * connection must be dropped so that the next join gets a whole snapshot.
   */
  snapshotBroken: (reason: string) => void;
}

export interface SyncOptions {
  mapId: string;
  clientId: string;
  clock: Clock;
  /** Send on the connection; false when it is not open. */
  send: (message: ClientMessage) => boolean;
  resendPacing?: ResendPacing;
  /** Backoff for ops refused for a transient reason. */
  retryBackoff?: BackoffOptions;
}

/**
 * The map's data over a connection: the replica (confirmed state + this client's pending ops),
 * the order and pace in which ops go out, retries of transient refusals, and gap repair.
 * Knows nothing of sockets: the connection tells it when the map is joined and when it is lost.
 */
export class MapSync extends Emitter<SyncEvents> {
  readonly replica: MapReplica;
  readonly #options: SyncOptions;
  readonly #clock: Clock;
  readonly #pacer: ResendPacer;
  readonly #pumpTimer: Timer;
  readonly #sweepTimer: Timer;
  readonly #syncRetryTimer: Timer;
  /** Transient refusals so far, per op id, for the retry backoff. */
  readonly #retries = new Map<string, number>();
  #live = false;
  #role: Role | null = null;
  #mapName = '';
  #requestedGapTo = 0;
  /** Own ops told as acknowledged because their record arrived before any ack. */
  readonly #toldByRecord = new Set<string>();
  readonly #layerStatuses = new Map<string, LayerStatus>();

  constructor(options: SyncOptions) {
    super();
    this.#options = options;
    this.#clock = options.clock;
    this.replica = new MapReplica(options.clientId);
    this.#pacer = new ResendPacer(options.resendPacing ?? DEFAULT_RESEND_PACING, this.#clock.now());
    this.#pumpTimer = new Timer(this.#clock);
    this.#sweepTimer = new Timer(this.#clock);
    this.#syncRetryTimer = new Timer(this.#clock);
  }

  get role(): Role | null {
    return this.#role;
  }
  get mapName(): string {
    return this.replica.hasSnapshot ? this.replica.view.name : this.#mapName;
  }
  get layerStatuses(): ReadonlyMap<string, LayerStatus> {
    return this.#layerStatuses;
  }
  /** Ops waiting to be sent (a backlog after a reconnect, an import, or a held retry). */
  get queued(): number {
    return this.#pacer.backlog;
  }
  /** When ops are held after a transient refusal: the time they go out again. */
  get heldUntil(): number | null {
    return this.#pacer.heldUntil(this.#clock.now());
  }

  /** The `join` for this map: a resume from the last seq once there is a snapshot. */
  joinMessage(): ClientMessage {
    return {
      type: 'join',
      mapId: this.#options.mapId,
      ...(this.replica.hasSnapshot ? { lastSeq: this.replica.seq } : {}),
    };
  }

  /** A local op: shown at once, sent in its turn (or queued until joined). */
  submit(op: Op): string {
    const opId = `o-${randomId(16)}`;
    const changed = this.replica.addPending(opId, op);
    const bulk = bulkOf(op);
    this.emit('featuresChanged', { ids: changed, origin: 'local', ...(bulk ? { bulk } : {}) });
    if (this.#live) {
      this.#pacer.push({ opId, op });
      this.#pump();
    }
    return opId;
  }

  /** The connection is gone: nothing is in flight; pending ops wait for the next join. */
  disconnected(): void {
    this.#live = false;
    this.replica.abortSnapshot();
    this.#pacer.clear();
    this.#pumpTimer.cancel();
    this.#sweepTimer.cancel();
    this.#syncRetryTimer.cancel();
  }

  /** Handle a server message about the map's data; false when it is not this layer's. */
  handle(message: ServerMessage): boolean {
    switch (message.type) {
      case 'snapshot':
        this.#onSnapshot(message);
        return true;
      case 'snapshotBegin':
        this.#onSnapshotBegin(message);
        return true;
      case 'snapshotChunk':
        this.#onSnapshotChunk(message);
        return true;
      case 'snapshotEnd':
        this.#onSnapshotEnd(message);
        return true;
      case 'replay':
        this.#onReplay(message);
        return true;
      case 'op':
        this.#onRecord(message.record);
        return true;
      case 'ack':
        // Told already, when its record came first.
        if (this.#toldByRecord.delete(message.opId)) return true;
        this.replica.acknowledge(message.opId, message.seq);
        this.#settle(message.opId);
        this.emit('ack', message.opId, message.seq);
        return true;
      case 'reject':
        this.#onReject(message);
        return true;
      case 'layerStatus': {
        const { type: _type, mapId: _mapId, ...status } = message;
        this.#layerStatuses.set(message.layerId, status);
        this.emit('layerStatus', this.#layerStatuses);
        return true;
      }
      case 'error':
        if (message.code === ErrorCode.RATE_LIMITED && (message.ref === undefined || message.ref === 'op'))
          this.#onOpMaybeDropped();
        if (message.ref === 'sync' && isTransientCode(message.code))
          this.#onSyncRefused(message.retryAfterMs);
        return false;
      default:
        return false;
    }
  }

  #onSnapshot(message: ServerMessageOf<'snapshot'>): void {
    this.#role = message.role;
    this.#mapName = message.map.name;
    const changed = this.replica.applySnapshot(
      message.seq,
      message.map.name,
      message.features,
      message.layers,
    );
    this.#onJoined(message.presence);
    this.emit('featuresChanged', { ids: changed, origin: 'remote' });
  }

  #onSnapshotBegin(message: ServerMessageOf<'snapshotBegin'>): void {
    this.#role = message.role;
    this.#mapName = message.map.name;
    const changed = this.replica.beginSnapshot(
      message.seq,
      message.map.name,
      message.layers,
      message.featureCount,
    );
    this.#emitProgress();
    if (changed === 'all' || changed.size > 0)
      this.emit('featuresChanged', { ids: changed, origin: 'remote' });
  }

  #onSnapshotChunk(message: ServerMessageOf<'snapshotChunk'>): void {
    const changed = this.replica.applySnapshotChunk(message.seq, message.index, message.features);
    if (changed === null) return;
    this.#emitProgress();
    if (changed === 'all' || changed.size > 0)
      this.emit('featuresChanged', { ids: changed, origin: 'remote' });
  }

  #onSnapshotEnd(message: ServerMessageOf<'snapshotEnd'>): void {
    const loading = this.replica.loading;
    const changed = this.replica.endSnapshot(message.seq, message.chunkCount);
    if (changed === null) {
      this.emit(
        'snapshotBroken',
        `snapshot at seq ${message.seq} arrived incomplete (${loading?.loadedFeatures ?? 0} of ${loading?.totalFeatures ?? '?'} features)`,
      );
      return;
    }
    this.#onJoined(message.presence);
    if (changed === 'all' || changed.size > 0)
      this.emit('featuresChanged', { ids: changed, origin: 'remote' });
  }

  #emitProgress(): void {
    const loading = this.replica.loading;
    if (loading) this.emit('snapshotProgress', loading);
  }

  #onReplay(message: ServerMessageOf<'replay'>): void {
    if (message.role) this.#role = message.role;
    if (message.map) this.#mapName = message.map.name;
    const changed = new Set<string>();
    // Someone's bulk chunks are told one by one, with their author and batch, as when they arrive
    // live (an import is added up and told once): a resume after a slow socket was closed replays them.
    const bulkChunks: FeaturesChangedEvent[] = [];
    for (const record of message.ops) {
      const result = this.replica.receive(record);
      if (result.kind !== 'applied' || result.changed === 'all') continue;
      const bulk = record.clientId === this.#options.clientId ? undefined : bulkOf(record.op);
      if (bulk) bulkChunks.push({ ids: result.changed, origin: 'remote', by: recordAuthor(record), bulk });
      else for (const id of result.changed) changed.add(id);
    }
    // A replay with presence answers a join (resume); without, it answers a `sync`.
    this.#settleCommittedUnacked();
    if (message.presence) this.#onJoined(message.presence);
    this.#requestedGapTo = 0;
    for (const event of bulkChunks) this.emit('featuresChanged', event);
    this.emit('featuresChanged', { ids: changed, origin: 'remote' });
    // A `sync` answer stops short of the range asked when its records are many bytes: ask on.
    const gap = message.presence ? null : this.replica.gap();
    if (gap) this.#requestSync(gap);
  }

  #onRecord(record: ServerMessageOf<'op'>['record']): void {
    const result = this.replica.receive(record);
    this.#settleCommittedUnacked();
    if (result.kind === 'applied') {
      const own = record.clientId === this.#options.clientId;
      const bulk = bulkOf(record.op);
      this.emit('featuresChanged', {
        ids: result.changed,
        origin: own ? 'local' : 'remote',
        ...(own ? {} : { by: recordAuthor(record) }),
        ...(bulk ? { bulk } : {}),
      });
    } else if (result.kind === 'gap' && result.toSeq > this.#requestedGapTo) {
      // Ask once per missing range; the replay fills it and the buffered records drain.
      this.#requestSync(result);
    }
  }

  #requestSync(gap: { fromSeq: number; toSeq: number }): void {
    this.#requestedGapTo = gap.toSeq;
    this.#options.send({ type: 'sync', mapId: this.#options.mapId, fromSeq: gap.fromSeq, toSeq: gap.toSeq });
  }

  /**
   * The server refused a `sync` for now (rate limited, overloaded, storage down): ask again for
   * whatever is still missing once it says to, or the held records would wait for a reconnect.
   */
  #onSyncRefused(retryAfterMs: number | undefined): void {
    this.#requestedGapTo = 0;
    this.#syncRetryTimer.start(retryAfterMs ?? SYNC_RETRY_DEFAULT_MS, () => {
      const gap = this.replica.gap();
      if (gap && gap.toSeq > this.#requestedGapTo) this.#requestSync(gap);
    });
  }

  /** Joined: resend what the server has not acknowledged, in the order it was made. */
  #onJoined(presence: readonly PresenceEntry[]): void {
    this.#live = true;
    this.#pacer.start(this.replica.unacknowledged);
    this.emit('joined', presence);
    this.#pump();
  }

  #onReject(message: ServerMessageOf<'reject'>): void {
    const pending = this.replica.pending.find((p) => p.opId === message.opId);
    if (isTransientCode(message.code) && pending && pending.ackedSeq === undefined) {
      const attempt = this.#retries.get(message.opId) ?? 0;
      this.#retries.set(message.opId, attempt + 1);
      const retryInMs = retryDelayMs(
        attempt,
        message.retryAfterMs,
        this.#options.retryBackoff ?? DEFAULT_BACKOFF,
        () => this.#clock.random(),
      );
      // Not in flight (sent on an earlier connection): the next join resends it anyway.
      this.#pacer.requeue(message.opId, this.#clock.now() + retryInMs);
      this.emit('opRejected', {
        opId: message.opId,
        op: pending.op,
        code: message.code,
        message: message.message,
        final: false,
        retryInMs,
      });
      this.#pump();
      return;
    }
    this.#retries.delete(message.opId);
    this.#settle(message.opId);
    const rejected = this.replica.reject(message.opId);
    if (!rejected) return;
    this.emit('opRejected', {
      opId: message.opId,
      op: rejected.op,
      code: message.code,
      message: message.message,
      final: true,
    });
    this.emit('featuresChanged', { ids: rejected.changed, origin: 'local' });
  }

  /**
   * Older servers refuse a rate-limited op with an `error` that names no op, so the op simply gets
   * no answer. Hold the queue for a backoff; then whatever was in flight before the refusal and
   * is still unanswered goes out again with the same op id (the server deduplicates by op id).
   */
  #onOpMaybeDropped(): void {
    if (this.#sweepTimer.pending) return;
    const suspects = this.#pacer.inFlightIds();
    const waitMs = retryDelayMs(0, undefined, this.#options.retryBackoff ?? DEFAULT_BACKOFF, () =>
      this.#clock.random(),
    );
    this.#pacer.hold(this.#clock.now() + waitMs);
    this.#sweepTimer.start(waitMs, () => {
      const now = this.#clock.now();
      for (const opId of suspects) this.#pacer.requeue(opId, now);
      this.#pump();
    });
  }

  /** Own ops committed without an ack reaching us: settled and told as acknowledged, once. */
  #settleCommittedUnacked(): void {
    for (const { opId, seq } of this.replica.takeCommittedUnacked()) {
      // Its ack may still come (sent before the record, queued behind it): not told twice. Kept
      // small: a resumed client is told this for the few chunks its dead node never acked.
      if (this.#toldByRecord.size >= 1000) this.#toldByRecord.clear();
      this.#toldByRecord.add(opId);
      this.#settle(opId);
      this.emit('ack', opId, seq);
    }
  }

  #settle(opId: string): void {
    this.#retries.delete(opId);
    this.#pacer.settle(opId);
    this.#pump();
  }

  /** Send what the pacing allows now, and come back when time (not an answer) allows more. */
  #pump(): void {
    if (!this.#live) return;
    const now = this.#clock.now();
    for (const { opId, op } of this.#pacer.take(now)) {
      // Answered meanwhile (e.g. committed despite a lost reply, seen in the broadcast).
      if (!this.replica.isUnacknowledged(opId)) {
        this.#pacer.settle(opId);
        continue;
      }
      this.#options.send({ type: 'op', mapId: this.#options.mapId, opId, op });
    }
    const wait = this.#pacer.waitMs(now);
    if (wait === null) this.#pumpTimer.cancel();
    else this.#pumpTimer.start(wait, () => this.#pump());
  }
}

/** For a bulk op, what `featuresChanged` says of it (see `bulk` there). */
function bulkOf(op: Op): FeaturesChangedEvent['bulk'] {
  if (op.kind !== 'features.import' && op.kind !== 'features.delete') return undefined;
  return op.batch ? { batch: op.batch } : {};
}

/** Who made a record, as `featuresChanged` tells it (one name and batch per bulk chunk). */
function recordAuthor(record: OpRecord): NonNullable<FeaturesChangedEvent['by']> {
  const { op } = record;
  const by: NonNullable<FeaturesChangedEvent['by']> = { clientId: record.clientId, opKind: op.kind };
  if (op.kind === 'features.import' || op.kind === 'features.delete') {
    if (op.batch) by.batch = op.batch;
    if (op.by) by.name = op.by.name;
  }
  return by;
}
