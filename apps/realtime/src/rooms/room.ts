import { type Database, getMap, readOps, readSnapshotPages } from '@meridian/db';
import {
  type BusMessage,
  busPresenceBatchFrameText,
  EncodedServerMessage,
  ErrorCode,
  encodeBusPresenceBatch,
  type LayerStatus,
  MeridianError,
  type OpRecord,
  type OutgoingServerMessage,
  type PresenceEntry,
  type ServerMessage,
  type Viewport,
} from '@meridian/protocol';
import type { Bus, BusSubscription } from '../bus/bus.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { Audience } from './audience.ts';
import { Joiners } from './joiners.ts';
import { OpSequencer } from './op-sequencer.ts';
import { OpTail, type OpTailLimits, splitByBytes } from './op-tail.ts';
import { colorCorrections, colorForNewTab } from './person-colors.ts';
import { PresenceBatcher } from './presence-batch.ts';
import { PresenceTable, silenceLimitMs } from './presence-table.ts';
import { PresenceThrottle } from './presence-throttle.ts';
import type { RoomMember, RoomTopics } from './room-member.ts';
import { SnapshotShare } from './snapshot-share.ts';

export interface RoomDeps {
  nodeId: string;
  db: Database;
  bus: Bus;
  /** Publishes to the members on a topic (the connection layer's outbox). */
  topics: RoomTopics;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  limits: {
    maxBackpressureBytes: number;
    volatileBackpressureBytes: number;
    /** PRESENCE_FLUSH_MS: each sender's presence goes out at most once per this interval. */
    presenceFlushMs: number;
    /** PRESENCE_BATCH_MS: the map's local presence goes out as one frame per this interval (presence-batch.ts). */
    presenceBatchMs: number;
    presenceHeartbeatMs: number;
    presenceTtlMs: number;
    gapHoldMs: number;
    /** MAX_REPLAY_OPS: a member resuming further behind than this gets a snapshot instead. */
    maxReplayOps: number;
    /** MAX_REPLAY_BYTES: so does one whose missed records are more than this (as JSON). */
    maxReplayBytes: number;
    /** The in-memory tail of recent ops that serves `sync` and resume-by-replay. */
    opTail: OpTailLimits;
  };
  /** Told of the room's events (RoomRegistry passes them on to its observers). */
  hooks?: RoomHooks;
}

/**
 * What other parts of the node keep about an open map, told of the room's events: the feed
 * manager follows its records, and feeds/layer-status-cache.ts keeps the live-feed layers'
 * statuses. A hook that throws is logged; it never breaks the room.
 */
export interface RoomHooks {
  /** Every record the room delivers, in seq order. */
  record?(room: Room, record: OpRecord): void;
  /** A peer published a layer status for the map. */
  layerStatus?(room: Room, status: LayerStatus): void;
  /** A peer that just opened the map asked what this node holds (after this node's presence answered). */
  stateRequested?(room: Room): void;
  /** Messages a member is sent right after its snapshot or replay, before the live ops. */
  catchUp?(room: Room): ServerMessage[];
}

/**
 * What the room keeps for a member that has a presence of its own: listed (shown to everyone) once
 * an editor moves a cursor, edits or summons; until then counted in the audience (audience.ts), and
 * view-only members always are, with the changes it sent kept for when it is listed.
 */
interface Present {
  presence: PresenceEntry;
  listed: boolean;
}

/** A member between `join` and its admission: one per join, so a join can tell it is still current. */
interface Joining {
  readonly joining: true;
}

/**
 * An admitted member with nothing of its own to keep: most of a crowd. One shared value, so a
 * silent viewer costs the room its map entry and nothing else (its presence entry is made when it
 * first sends something, from the member's own fields).
 */
const WATCHING = Object.freeze({ watching: true as const });

/** What the room keeps for each member. */
type MemberState = Joining | typeof WATCHING | Present;

function presentOf(state: MemberState | undefined): Present | null {
  return state !== undefined && 'presence' in state ? state : null;
}

type BusHandlers = {
  [T in BusMessage['type']]: (message: Extract<BusMessage, { type: T }>, raw: string | undefined) => void;
};

/**
 * One map on this node: its local sockets, ordered op delivery, and presence. Exists while at
 * least one local socket is on the map (or joining it); subscribed to the map's bus channel
 * for exactly that long.
 */
export class Room {
  readonly mapId: string;
  /** uWS topic of durable traffic (ops, presenceLeft): never dropped silently. */
  readonly opsTopic: string;
  /** uWS topic of volatile traffic (presence, summon): slow sockets are taken off it. */
  readonly volatileTopic: string;
  readonly #presence = new PresenceTable();
  /** Who watches without being listed: counted per node, totals sent at most once per second. */
  readonly #audience: Audience;
  /** Snapshot reads shared by the joins that arrive together. */
  readonly #snapshots: SnapshotShare;
  readonly #sequencer: OpSequencer;
  /** The most recent delivered ops, in seq order: replays are served from here before storage. */
  readonly #tail: OpTail;
  readonly #deps: RoomDeps;
  readonly #onEmpty: (room: Room) => void;
  readonly #members = new Map<RoomMember, MemberState>();
  /** Members not yet on the topics: sent their snapshot or replay, then the ops delivered meanwhile. */
  readonly #joiners: Joiners;
  /** Which member owns each local presence entry (a client id reconnecting may overlap itself). */
  readonly #owners = new Map<string, RoomMember>();
  /** Paces local senders' presence: a change goes out at once, or (conflated) when the sender's interval ends. */
  readonly #presencePacing: PresenceThrottle<RoomMember>;
  /** Frames what the pacing lets out: one presence batch per PRESENCE_BATCH_MS for sockets and peers. */
  readonly #presenceBatch: PresenceBatcher;
  /** Sends the held presence changes when the earliest one is due. */
  #presenceTimer: ReturnType<typeof setTimeout> | null = null;
  #presenceTimerAtMs = Number.POSITIVE_INFINITY;
  #volatileCheckedAtMs = Number.NEGATIVE_INFINITY;
  /** Members off the volatile topic at the last check: they miss the presence sent meanwhile. */
  #volatileOff: RoomMember[] = [];
  #reservations = 0;
  #subscription: BusSubscription | null = null;
  #closed = false;
  #lastPresenceRequestMs = Number.NEGATIVE_INFINITY;
  /**
   * Until then, departures are held rather than announced: after a bus outage the peers'
   * heartbeats and presence arrive in any order, and a client that moved to another node
   * meanwhile must not be shown leaving by its old node's heartbeat before its new one speaks.
   */
  #settleUntilMs = Number.NEGATIVE_INFINITY;
  /** Client ids whose departure is held; announced after the settle only if nobody holds them then. */
  readonly #heldDepartures = new Set<string>();
  /** The map's name as of the delivered seq (read on open, then kept by delivered renames). */
  #mapName = '';
  /** The storage read filling the tail from below, shared by the replays that wait for it. */
  #backfill: { fromSeq: number; done: Promise<void> } | null = null;
  readonly #busHandlers: BusHandlers;

  constructor(mapId: string, deps: RoomDeps, onEmpty: (room: Room) => void) {
    this.mapId = mapId;
    this.opsTopic = `map/${mapId}`;
    this.volatileTopic = `map/${mapId}/v`;
    this.#deps = deps;
    this.#onEmpty = onEmpty;
    this.#snapshots = new SnapshotShare({
      mapId,
      read: (sink) => readSnapshotPages(deps.db, mapId, sink),
      onProgress: (read) => this.#joiners.progressed(read),
      onEnd: (end) => deps.metrics.snapshotReads.inc({ end }),
    });
    this.#joiners = new Joiners({
      mapId,
      opsTopic: this.opsTopic,
      volatileTopic: this.volatileTopic,
      snapshots: this.#snapshots,
      metrics: deps.metrics,
      limits: deps.limits,
      deliveredSeq: () => this.#sequencer.deliveredSeq,
      admit: (member) => this.#admit(member),
      presence: () => this.#presence.list(),
      catchUp: () => this.#catchUp(),
    });
    this.#tail = new OpTail(deps.limits.opTail);
    this.#presencePacing = new PresenceThrottle(deps.limits.presenceFlushMs);
    this.#audience = new Audience({
      now: () => deps.clock.now(),
      publishLocal: (watching) =>
        deps.bus.publish({ type: 'audience', mapId, nodeId: deps.nodeId, watching }),
      announceTotal: (watching) => this.#broadcast(this.volatileTopic, { type: 'audience', mapId, watching }),
      listedPeople: () => this.#presence.listedPeople(),
    });
    this.#presenceBatch = new PresenceBatcher({
      intervalMs: deps.limits.presenceBatchMs,
      clock: deps.clock,
      flush: (entries) => this.#publishPresenceBatch(entries),
      onError: (error) => deps.logger.error({ err: error, mapId }, 'presence batch failed'),
    });
    this.#sequencer = new OpSequencer({
      gapHoldMs: deps.limits.gapHoldMs,
      fetch: (fromSeq, toSeq) => readOps(deps.db, mapId, fromSeq, toSeq),
      deliver: (record) => this.#deliverInOrder(record),
      onFetchError: (error) =>
        deps.logger.warn({ mapId, err: String(error) }, 'op log read failed; retrying'),
      onFill: () => deps.metrics.gapFills.inc(),
    });
    this.#busHandlers = {
      op: (message) => this.deliver(message.record),
      presence: (message) => {
        const news = this.#presence.setRemote(message.nodeId, message.entry, deps.clock.now());
        this.#broadcast(this.volatileTopic, { type: 'presence', mapId, entry: message.entry });
        if (news) this.#listingChanged();
      },
      presenceBatch: (message, raw) => {
        const now = deps.clock.now();
        let news = false;
        for (const entry of message.frame.entries)
          if (this.#presence.setRemote(message.nodeId, entry, now)) news = true;
        // Forwarded as the peer encoded it (and validated each entry when its client sent it).
        const text = busPresenceBatchFrameText(message, raw);
        this.#broadcast(this.volatileTopic, new EncodedServerMessage('presenceBatch', text));
        if (news) this.#listingChanged();
      },
      presenceLeft: (message) => {
        if (this.#presence.removeRemote(message.nodeId, message.clientId)) this.#departed(message.clientId);
      },
      summon: (message) => {
        this.#broadcast(this.volatileTopic, {
          type: 'summon',
          mapId,
          from: message.from,
          viewport: message.viewport,
        });
      },
      heartbeat: (message) => {
        this.#sequencer.noteHead(message.seq);
        this.#audience.setPeer(message.nodeId, message.watching);
        const { left, unknown } = this.#presence.heartbeat(
          message.nodeId,
          message.clientIds,
          deps.clock.now(),
        );
        for (const clientId of left) this.#departed(clientId);
        if (unknown) this.requestPresence();
      },
      audience: (message) => this.#audience.setPeer(message.nodeId, message.watching),
      presenceRequest: () => {
        const entries = this.#presence.localEntries;
        if (entries.length > 0) {
          deps.bus.publish({ type: 'presenceState', mapId, nodeId: deps.nodeId, entries });
        }
        // A node that just opened the map asks this way; the feed holder tells it how its layers are.
        this.#hook('state request', (hooks) => hooks.stateRequested?.(this));
      },
      layerStatus: (message) => {
        const { type: _type, mapId: _mapId, nodeId: _nodeId, ...status } = message;
        this.#hook('layer status', (hooks) => hooks.layerStatus?.(this, status));
      },
      presenceState: (message) => {
        const change = this.#presence.replaceRemote(message.nodeId, message.entries, deps.clock.now());
        for (const clientId of change.left) this.#departed(clientId);
        if (change.updated.length > 0) {
          const batch = { type: 'presenceBatch' as const, mapId, entries: change.updated };
          this.#broadcast(this.volatileTopic, EncodedServerMessage.of(batch));
        }
        this.#listingChanged();
      },
    };
  }

  get memberCount(): number {
    return this.#members.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The map's name as of the delivered seq. */
  get mapName(): string {
    return this.#mapName;
  }

  /**
   * The committed ops with `fromSeq <= seq <= toSeq` that this room has delivered (later ones
   * reach its members live, in order). Served from the tail; a range older than the tail is read
   * from storage once (concurrent callers share the read) and kept in the tail when it fits.
   * Throws MeridianError(STORAGE_UNAVAILABLE) when storage is needed and fails.
   */
  async readOps(fromSeq: number, toSeq: number): Promise<OpRecord[]> {
    const delivered = this.#sequencer.deliveredSeq;
    if (delivered === null) return readOps(this.#deps.db, this.mapId, fromSeq, toSeq);
    const to = Math.min(toSeq, delivered);
    const held = this.#tail.range(fromSeq, to);
    if (held) return held;
    const first = this.#tail.firstSeq ?? delivered + 1;
    // Only a range the tail can keep is worth filling it with; anything older is read as asked.
    if (first - fromSeq <= this.#tail.room) {
      const pending = this.#backfill;
      if (pending && pending.fromSeq <= fromSeq) await pending.done;
      else await this.#fillTail(fromSeq, first - 1);
      const filled = this.#tail.range(fromSeq, to);
      if (filled) return filled;
    }
    return readOps(this.#deps.db, this.mapId, fromSeq, to);
  }

  #fillTail(fromSeq: number, toSeq: number): Promise<void> {
    const done = readOps(this.#deps.db, this.mapId, fromSeq, toSeq).then((records) => {
      if (!this.#closed) this.#tail.prepend(records);
    });
    const backfill = { fromSeq, done };
    this.#backfill = backfill;
    const forget = () => {
      if (this.#backfill === backfill) this.#backfill = null;
    };
    done.then(forget, forget);
    return done;
  }

  /** Subscribe to the bus, then learn the map's seq: every op after it reaches this room. */
  async open(): Promise<void> {
    const subscription = await this.#deps.bus.subscribe(this.mapId, (message, raw) =>
      this.#onBus(message, raw),
    );
    if (this.#closed) {
      await subscription.unsubscribe();
      return;
    }
    this.#subscription = subscription;
    const map = await getMap(this.#deps.db, this.mapId);
    if (!map) throw new MeridianError(ErrorCode.MAP_NOT_FOUND, `no map ${this.mapId}`);
    this.#mapName = map.name;
    this.#tail.reset(map.seq);
    this.#sequencer.start(map.seq);
    this.requestPresence();
  }

  /** Hold the room open while a join is being set up. */
  reserve(): void {
    this.#reservations++;
  }

  /** Give back a reservation that did not turn into a member. */
  unreserve(): void {
    this.#reservations--;
    this.#closeIfEmpty();
  }

  /**
   * The member (holding the reservation RoomRegistry.enter made) joins: a replay of the ops it
   * missed when it resumes from a recent `lastSeq`, otherwise a snapshot, then the live ops. It is
   * a member (and live ops are buffered for it) before anything is read, so nothing committed
   * meanwhile can fall between the read and the topic. Resolves once it was sent its replay or
   * snapshot, or left meanwhile. Throws MeridianError (MAP_NOT_FOUND, STORAGE_UNAVAILABLE), and
   * the member is then no longer on the map.
   */
  async join(member: RoomMember, lastSeq?: number): Promise<void> {
    this.#reservations--;
    const state: Joining = { joining: true };
    this.#members.set(member, state);
    this.#joiners.add(member);
    // Ops delivered from now on are buffered for this joiner; its snapshot must hold the rest.
    const coverSeq = this.#sequencer.deliveredSeq ?? Number.POSITIVE_INFINITY;
    // False once it left (a leave, a close, or a later join of the same socket) or cannot be sent to.
    const current = () => member.live && this.#members.get(member) === state;
    try {
      const resumed =
        lastSeq !== undefined &&
        (this.#resumeFromTail(member, lastSeq, coverSeq) || (await this.#resume(member, lastSeq, current)));
      if (!resumed && current()) await this.#joiners.sendSnapshot(member, coverSeq, current);
    } catch (error) {
      if (this.#members.get(member) === state) this.remove(member);
      throw error;
    }
  }

  /**
   * Replay (lastSeq, coverSeq] from the in-memory tail, without touching storage, when the tail
   * holds all of it and the gap is within MAX_REPLAY_OPS. `coverSeq` is the delivered seq when the
   * member became a joiner: everything after it reaches the member from its joiner buffer. False
   * when storage must decide (a client ahead of this node, or behind the tail).
   */
  #resumeFromTail(member: RoomMember, lastSeq: number, coverSeq: number): boolean {
    if (lastSeq > coverSeq || coverSeq - lastSeq > this.#deps.limits.maxReplayOps) return false;
    const ops = this.#tail.range(lastSeq + 1, coverSeq);
    if (!ops) return false;
    return this.#sendReplay(member, lastSeq, coverSeq, ops, { id: this.mapId, name: this.#mapName });
  }

  /** Replay (lastSeq, head] from storage when that is short enough; false when a snapshot is needed instead. */
  async #resume(member: RoomMember, lastSeq: number, current: () => boolean): Promise<boolean> {
    const { db, limits } = this.#deps;
    const map = await getMap(db, this.mapId);
    if (!map) throw new MeridianError(ErrorCode.MAP_NOT_FOUND, `no map ${this.mapId}`);
    // A client ahead of the server (a restored database) or too far behind gets a snapshot.
    if (lastSeq > map.seq || map.seq - lastSeq > limits.maxReplayOps) return false;
    const ops = lastSeq < map.seq ? await readOps(db, this.mapId, lastSeq + 1, map.seq) : [];
    if (!current()) return true;
    if (ops.length !== map.seq - lastSeq) return false;
    return this.#sendReplay(member, lastSeq, map.seq, ops, { id: map.id, name: map.name });
  }

  /**
   * Send a resuming member the records (lastSeq, toSeq] it missed, or nothing (false: it needs a
   * snapshot) when they are over MAX_REPLAY_BYTES. The `replay` message carries what fits below
   * the socket's soft backpressure limit; the rest follows as `op` messages as the socket drains
   * (the joiner's pump), so a replay of a few bulk records never trips the slow-consumer close.
   */
  #sendReplay(
    member: RoomMember,
    lastSeq: number,
    toSeq: number,
    ops: OpRecord[],
    map: { id: string; name: string },
  ): boolean {
    const { limits } = this.#deps;
    const { count, totalBytes } = splitByBytes(ops, limits.maxBackpressureBytes / 2);
    if (totalBytes > limits.maxReplayBytes) return false;
    this.#admit(member);
    const sentTo = count === ops.length ? toSeq : lastSeq + count;
    member.send({
      type: 'replay',
      mapId: this.mapId,
      fromSeq: lastSeq + 1,
      toSeq: sentTo,
      ops: count === ops.length ? ops : ops.slice(0, count),
      role: member.role,
      map,
      presence: this.#presence.list(),
    });
    this.#joiners.replayed(member, sentTo, ops.slice(count));
    return true;
  }

  /**
   * The member's presence starts, counted in the audience (the snapshot or replay about to be sent
   * lists the people who are doing something); it is listed once it does something (`markActive`).
   */
  #admit(member: RoomMember): void {
    if (!this.#members.has(member)) return;
    this.#members.set(member, WATCHING);
    this.#audience.add(member.personId);
  }

  /** The member's presence entry, made when it first has one (a watching member needs none). */
  #present(member: RoomMember): Present | null {
    const state = this.#members.get(member);
    if (state === undefined || 'joining' in state) return null;
    if ('presence' in state) return state;
    const present: Present = {
      presence: {
        clientId: member.clientId,
        personId: member.personId,
        name: member.name,
        color: member.color,
        role: member.role,
        cursor: null,
        viewport: null,
        following: null,
      },
      listed: false,
    };
    this.#members.set(member, present);
    return present;
  }

  /**
   * The member did something (moved a cursor over the map, edited, summoned): an editor leaves the
   * audience and is listed, with a colour nobody listed on the map holds, and owns its client id's
   * entry (a reconnecting client may briefly be two members: the latest one listed speaks for it).
   * View-only members stay counted.
   */
  markActive(member: RoomMember): void {
    if (member.role !== 'edit') return;
    const state = this.#present(member);
    if (!state || state.listed) return;
    const entry = state.presence;
    state.listed = true;
    const color = colorForNewTab(entry.personId, member.color, this.#presence.list());
    state.presence = { ...entry, color };
    this.#owners.set(entry.clientId, member);
    this.#presence.setLocal(state.presence);
    this.#audience.remove(entry.personId);
    this.#presenceChanged(member);
    this.#listingChanged();
  }

  /**
   * Who is listed, or their colours, changed: settle colour races with peers (person-colors.ts)
   * and recount the audience (a person listed elsewhere no longer watches here).
   */
  #listingChanged(): void {
    const corrections = colorCorrections(this.#presence.localEntries, this.#presence.list());
    for (const [clientId, color] of corrections) {
      const member = this.#owners.get(clientId);
      const state = member && presentOf(this.#members.get(member));
      if (!member || !state?.listed) continue;
      state.presence = { ...state.presence, color };
      this.#presence.setLocal(state.presence);
      this.#presenceChanged(member);
    }
    this.#audience.changed();
  }

  /** What a member is sent right after its snapshot or replay: what the hooks add (how each live-feed layer is doing), then the audience count. */
  #catchUp(): ServerMessage[] {
    let extra: ServerMessage[] = [];
    this.#hook('catch-up', (hooks) => {
      extra = hooks.catchUp?.(this) ?? [];
    });
    // The count everyone else was last told: the next announcement (which counts this member)
    // then reaches it like everyone, so no member keeps a count the others moved past.
    return [...extra, { type: 'audience', mapId: this.mapId, watching: this.#audience.total }];
  }

  /** The member left the map or closed. */
  remove(member: RoomMember): void {
    const state = this.#members.get(member);
    if (!state) return;
    this.#members.delete(member);
    this.#joiners.remove(member);
    this.#presencePacing.forget(member);
    const present = presentOf(state);
    if (state === WATCHING || (present && !present.listed)) this.#audience.remove(member.personId);
    if (present?.listed && this.#owners.get(present.presence.clientId) === member) {
      const { clientId } = present.presence;
      this.#owners.delete(clientId);
      // Its held change must not reach peers after the presenceLeft below.
      this.#presenceBatch.drop(clientId);
      if (this.#presence.removeLocal(clientId)) this.#departed(clientId);
      this.#deps.bus.publish({
        type: 'presenceLeft',
        mapId: this.mapId,
        nodeId: this.#deps.nodeId,
        clientId,
      });
      this.#audience.changed();
    }
    member.unsubscribe(this.opsTopic);
    member.unsubscribe(this.volatileTopic);
    this.#closeIfEmpty();
  }

  /**
   * The member's presence changed: a listed member's goes out now, or when the sender's interval
   * ends (latest wins); an unlisted one's is kept for when it is listed (a cursor lists an editor).
   */
  updatePresence(
    member: RoomMember,
    change: Partial<Omit<PresenceEntry, 'clientId' | 'personId' | 'role' | 'color'>>,
  ): void {
    const state = this.#present(member);
    if (!state) return;
    state.presence = { ...state.presence, ...change };
    if (!state.listed) {
      if (change.cursor) this.markActive(member);
      return;
    }
    if (this.#owners.get(member.clientId) === member) this.#presence.setLocal(state.presence);
    this.#presenceChanged(member);
  }

  /** Bring everyone (listed or watching, on every node) to `viewport`; `from` is the person. */
  summon(member: RoomMember, viewport: Viewport): void {
    this.markActive(member);
    const from = member.personId;
    this.#broadcast(this.volatileTopic, { type: 'summon', mapId: this.mapId, from, viewport }, member);
    this.#deps.bus.publish({ type: 'summon', mapId: this.mapId, nodeId: this.#deps.nodeId, from, viewport });
  }

  /**
   * A local sender's presence changed. Sent at once when the sender was not sent within the last
   * PRESENCE_FLUSH_MS (so a lone cursor move waits for nothing); otherwise held, and its latest
   * state sent when that interval ends: a storm still makes at most one message per sender per
   * interval.
   */
  #presenceChanged(member: RoomMember): void {
    const now = this.#deps.clock.now();
    if (this.#presencePacing.offer(member, now)) this.#sendPresence([member], now);
    else this.#armPresenceTimer(now);
  }

  /** The presence timer fired: send the held changes that are due. */
  #flushPresence(): void {
    this.#presenceTimer = null;
    this.#presenceTimerAtMs = Number.POSITIVE_INFINITY;
    if (this.#closed) return;
    const now = this.#deps.clock.now();
    try {
      const due = this.#presencePacing.takeDue(now);
      if (due.length > 0) this.#sendPresence(due, now);
    } catch (error) {
      this.#deps.logger.error({ err: error, mapId: this.mapId }, 'presence flush failed');
    }
    this.#armPresenceTimer(now);
  }

  #armPresenceTimer(now: number): void {
    const dueAtMs = this.#presencePacing.nextDueMs();
    if (dueAtMs === null || this.#closed || dueAtMs >= this.#presenceTimerAtMs) return;
    if (this.#presenceTimer) clearTimeout(this.#presenceTimer);
    this.#presenceTimerAtMs = dueAtMs;
    this.#presenceTimer = setTimeout(() => this.#flushPresence(), Math.max(0, dueAtMs - now));
  }

  /** These senders' current presence goes into the map's next batch (presence-batch.ts). */
  #sendPresence(senders: readonly RoomMember[], now: number): void {
    this.#checkVolatileBackpressure(now);
    for (const sender of senders) {
      const state = presentOf(this.#members.get(sender));
      if (!state?.listed) continue;
      const entry = state.presence;
      // The batch reaches the sender too: its own entry tells it the colour the map assigned it.
      this.#presenceBatch.add(entry);
    }
  }

  /**
   * One batch to local sockets and to peers: encoded once, published once to the volatile topic
   * (senders read their own entry too, and ignore it), and spliced into the bus message as is.
   */
  #publishPresenceBatch(entries: PresenceEntry[]): void {
    const { bus, nodeId, metrics } = this.#deps;
    const frame = EncodedServerMessage.of({ type: 'presenceBatch', mapId: this.mapId, entries });
    this.#broadcast(this.volatileTopic, frame);
    bus.publishEncoded(this.mapId, encodeBusPresenceBatch(this.mapId, nodeId, frame.text));
    for (const off of this.#volatileOff) {
      if (!this.#members.has(off) || off.isSubscribed(this.volatileTopic)) continue;
      metrics.volatileDropped.inc();
      off.countVolatileDropped();
    }
  }

  /**
   * Volatile traffic is dropped first: a socket over the soft limit leaves the volatile topic until
   * it drains, so presence never pushes it towards the hard limit (and a 4008 close). Checked
   * before presence is sent, at most once per PRESENCE_FLUSH_MS (it visits every member).
   */
  #checkVolatileBackpressure(now: number): void {
    const { limits } = this.#deps;
    if (now - this.#volatileCheckedAtMs < limits.presenceFlushMs) return;
    this.#volatileCheckedAtMs = now;
    const off: RoomMember[] = [];
    for (const member of this.#members.keys()) {
      if (!member.live || this.#joiners.has(member)) continue;
      const over = member.bufferedAmount() > limits.volatileBackpressureBytes;
      const on = member.isSubscribed(this.volatileTopic);
      if (over && on) member.unsubscribe(this.volatileTopic);
      else if (!over && !on) member.subscribe(this.volatileTopic);
      if (!member.isSubscribed(this.volatileTopic)) off.push(member);
    }
    this.#volatileOff = off;
  }

  /**
   * Tell every member (those on the topics, and joiners already sent their snapshot) a durable
   * message that is not an op, such as a live-feed layer's status: never dropped as volatile.
   */
  broadcast(message: ServerMessage): void {
    this.#broadcast(this.opsTopic, message);
  }

  /**
   * Tell peers we are alive (with our clients and seq); drop peers that stopped doing so (every
   * PRESENCE_HEARTBEAT_MS: a dead peer's users go within PRESENCE_TTL_MS of its last message).
   * While the bus is down nobody can be heard, so silence then proves nothing and nobody expires.
   */
  heartbeat(): void {
    const { bus, nodeId, clock, limits } = this.#deps;
    const seq = this.#sequencer.deliveredSeq;
    if (seq !== null) {
      bus.publish({
        type: 'heartbeat',
        mapId: this.mapId,
        nodeId,
        seq,
        clientIds: this.#presence.localIds,
        watching: this.#audience.localCount,
      });
    }
    const now = clock.now();
    if (bus.isReady()) {
      const silenceMs = silenceLimitMs(limits.presenceTtlMs, limits.presenceHeartbeatMs);
      for (const clientId of this.#presence.expire(now - silenceMs)) this.#departed(clientId);
      this.#audience.expire(now - silenceMs);
    }
    if (!this.#settling(now)) this.#releaseHeldDepartures();
  }

  /** Ask peers for their presence (throttled): after opening, after a bus outage, or on an unknown id. */
  requestPresence(): void {
    const now = this.#deps.clock.now();
    if (now - this.#lastPresenceRequestMs < this.#deps.limits.presenceHeartbeatMs) return;
    this.#lastPresenceRequestMs = now;
    this.#deps.bus.publish({ type: 'presenceRequest', mapId: this.mapId, nodeId: this.#deps.nodeId });
  }

  /**
   * The bus came back: read what it may have dropped, and refresh presence. Peers get a whole
   * TTL from now to be heard (silence during the outage proved nothing), and departures are held
   * for that long: by then every live peer has listed its clients in a heartbeat.
   */
  recoverFromBusOutage(): void {
    const now = this.#deps.clock.now();
    this.#sequencer.catchUp();
    this.#presence.touchAll(now);
    this.#settleUntilMs = now + this.#deps.limits.presenceTtlMs;
    this.#lastPresenceRequestMs = Number.NEGATIVE_INFINITY;
    this.requestPresence();
  }

  /** The member's send buffer drained. */
  onDrain(member: RoomMember): void {
    if (this.#joiners.drained(member)) return;
    if (member.live && this.#members.has(member) && !member.isSubscribed(this.volatileTopic)) {
      if (member.bufferedAmount() <= this.#deps.limits.volatileBackpressureBytes) {
        member.subscribe(this.volatileTopic);
      }
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sequencer.stop();
    if (this.#presenceTimer) clearTimeout(this.#presenceTimer);
    this.#presenceTimer = null;
    this.#audience.close();
    this.#presenceBatch.close();
    this.#volatileOff = [];
    this.#snapshots.clear();
    const subscription = this.#subscription;
    this.#subscription = null;
    void subscription?.unsubscribe();
  }

  #closeIfEmpty(): void {
    if (this.#members.size === 0 && this.#reservations === 0 && !this.#closed) this.#onEmpty(this);
  }

  #onBus(message: BusMessage, raw: string | undefined): void {
    if (this.#closed || message.nodeId === this.#deps.nodeId) return;
    try {
      (this.#busHandlers[message.type] as (m: BusMessage, raw: string | undefined) => void)(message, raw);
    } catch (error) {
      this.#deps.logger.error(
        { err: error, mapId: this.mapId, type: message.type },
        'bus message handler failed',
      );
    }
  }

  /**
   * A committed record of this map (a local commit, or one a peer published): delivered to the
   * members once every record before it has been, exactly once per seq.
   */
  deliver(record: OpRecord): void {
    this.#sequencer.offer(record);
  }

  /** Called by the sequencer once per seq, in order. */
  #deliverInOrder(record: OpRecord): void {
    const { topics, metrics, clock } = this.#deps;
    this.#tail.append(record);
    if (record.op.kind === 'map.rename') this.#mapName = record.op.name;
    topics.publish(this.opsTopic, { type: 'op', mapId: this.mapId, record });
    metrics.fanoutSeconds.observe(Math.max(0, clock.now() - record.at) / 1000);
    this.#hook('record', (hooks) => hooks.record?.(this, record));
    this.#joiners.delivered(record);
  }

  #hook(what: string, call: (hooks: RoomHooks) => void): void {
    const { hooks, logger } = this.#deps;
    if (!hooks) return;
    try {
      call(hooks);
    } catch (error) {
      logger.error({ err: error, mapId: this.mapId }, `${what} hook failed`);
    }
  }

  /** Publish to a topic and send to joiners that already have their snapshot (they are not on topics yet). */
  #broadcast(topic: string, message: OutgoingServerMessage, exclude?: RoomMember): void {
    if (exclude) exclude.publish(topic, message);
    else this.#deps.topics.publish(topic, message);
    this.#joiners.broadcast(message, topic === this.volatileTopic, exclude);
  }

  /** Whether departures are held: the bus is down, or came back less than a TTL ago. */
  #settling(nowMs: number): boolean {
    return !this.#deps.bus.isReady() || nowMs < this.#settleUntilMs;
  }

  /** A client is gone as far as this node knows: announced now, or held while presence settles. */
  #departed(clientId: string): void {
    if (this.#settling(this.#deps.clock.now())) this.#heldDepartures.add(clientId);
    else this.#announceLeft(clientId);
  }

  /** Presence settled: announce the held departures of clients that no node holds now. */
  #releaseHeldDepartures(): void {
    for (const clientId of this.#heldDepartures) {
      if (!this.#presence.has(clientId)) this.#announceLeft(clientId);
    }
    this.#heldDepartures.clear();
  }

  #announceLeft(clientId: string): void {
    this.#presenceBatch.drop(clientId);
    this.#broadcast(this.opsTopic, { type: 'presenceLeft', mapId: this.mapId, clientId });
  }
}
