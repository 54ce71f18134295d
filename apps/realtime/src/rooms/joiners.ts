import {
  ErrorCode,
  type Feature,
  MeridianError,
  type OpRecord,
  type OutgoingServerMessage,
  type PresenceEntry,
  type ServerMessage,
  type ServerMessageOf,
} from '@meridian/protocol';
import type { Metrics } from '../metrics.ts';
import type { RoomMember } from './room-member.ts';
import type { SnapshotRead, SnapshotShare } from './snapshot-share.ts';

/** A joiner this far behind is not going to catch up; it is closed and resumes later. */
export const MAX_JOINER_BUFFER = 10_000;

/**
 * A socket that joined but is not yet on the map's topics. Until its snapshot (or replay) is
 * sent, live ops are buffered for it; then those after the snapshot's seq are sent directly,
 * and once the room's delivery has reached that seq it moves onto the topics. This closes the
 * race between reading a snapshot and ops committed meanwhile, in either direction.
 */
interface Joiner {
  /** The seq of the snapshot or replay it was sent; null while that is still being read or streamed. */
  afterSeq: number | null;
  buffer: OpRecord[];
  /** A streamed snapshot being sent to it, chunk by chunk as its socket drains and its pages arrive. */
  stream: SnapshotStream | null;
}

/** Where a joiner is in its streamed snapshot. */
interface SnapshotStream {
  read: SnapshotRead;
  seq: number;
  /** Index of the next chunk to send. */
  next: number;
}

/** A snapshot's last message, less what every one carries (the map id, who is here). */
type SnapshotLast =
  | Omit<ServerMessageOf<'snapshot'>, 'mapId' | 'presence'>
  | Omit<ServerMessageOf<'snapshotEnd'>, 'mapId' | 'presence'>;

/** What the joins need of their room. */
export interface JoinersDeps {
  mapId: string;
  opsTopic: string;
  volatileTopic: string;
  snapshots: SnapshotShare;
  metrics: Metrics;
  limits: { maxBackpressureBytes: number; volatileBackpressureBytes: number };
  /** The seq the room has delivered up to (null before it opened). */
  deliveredSeq(): number | null;
  /** The member's presence starts (it is counted from now on). */
  admit(member: RoomMember): void;
  /** Who is here, for a snapshot or replay's `presence`. */
  presence(): PresenceEntry[];
  /** What the member is sent right after its snapshot or replay, before the ops that follow it. */
  catchUp(member: RoomMember): ServerMessage[];
}

/**
 * The room's members that are joining: each gets a snapshot (streamed from a read shared with
 * every joiner it covers, while the read's pages are still arriving) or a replay, then the ops
 * delivered meanwhile, in order, and is then moved onto the map's topics.
 */
export class Joiners {
  readonly #deps: JoinersDeps;
  readonly #joiners = new Map<RoomMember, Joiner>();

  constructor(deps: JoinersDeps) {
    this.#deps = deps;
  }

  /** Live ops are buffered for the member from now on, until it is caught up. */
  add(member: RoomMember): void {
    this.#joiners.set(member, { afterSeq: null, buffer: [], stream: null });
  }

  has(member: RoomMember): boolean {
    return this.#joiners.has(member);
  }

  /** The member left: its stream ends, and a read nobody else holds is let go. */
  remove(member: RoomMember): void {
    const stream = this.#joiners.get(member)?.stream;
    this.#joiners.delete(member);
    if (stream) this.#endStream(stream);
  }

  /**
   * Send the member a snapshot covering every op up to `coverSeq`: streamed (snapshotBegin, the
   * chunks as its socket drains, snapshotEnd) to a v3 member when it is more than one chunk, else
   * one `snapshot` message. Resolves once the read is complete (the rest of the stream goes out as
   * the socket drains), or the member left. Throws MAP_NOT_FOUND, or STORAGE_UNAVAILABLE when the
   * read fails, even mid-stream: the member (not yet sent `snapshotEnd`) must then join again.
   */
  async sendSnapshot(member: RoomMember, coverSeq: number, current: () => boolean): Promise<void> {
    const { snapshots } = this.#deps;
    const read = await snapshots.acquire(coverSeq);
    let held = true;
    const release = () => {
      if (held) snapshots.release(read);
      held = false;
    };
    try {
      // A small map is one plain `snapshot`: wait until it is known whether it is more than one chunk.
      await read.until(() => (read.frames?.count ?? 0) >= 2);
      const joiner = this.#joiners.get(member);
      if (!current() || !joiner) return;
      const failedEarly = read.failure();
      if (failedEarly) throw failedEarly;
      if (member.streamsSnapshots && !(read.complete && (read.frames?.count ?? 0) <= 1)) {
        this.#beginStream(member, joiner, read);
        held = false;
        await read.until(() => false);
        // Part of it may be out: the member gets the error and joins again (a new snapshotBegin restarts it).
        const failure = read.failure();
        if (failure && this.#joiners.get(member)?.stream?.read === read) throw failure;
        return;
      }
      await read.until(() => false);
      if (!current() || this.#joiners.get(member) !== joiner) return;
      if (!read.complete) throw read.failure() ?? unavailable();
      this.#sendWhole(member, read);
    } finally {
      release();
    }
  }

  /**
   * The member was sent its replay, up to `seq`: it is caught up from there, starting with
   * `rest` (the records after `seq` the replay did not carry), sent as its socket drains.
   */
  replayed(member: RoomMember, seq: number, rest: readonly OpRecord[] = []): void {
    this.#complete(member, seq, rest);
  }

  /** A read made progress: the joiners streaming it send what their sockets take. */
  progressed(read: SnapshotRead): void {
    for (const [member, joiner] of this.#joiners) {
      if (joiner.stream?.read === read) this.#pump(member, joiner);
    }
  }

  /** A record the room delivered (in seq order): buffered for joiners, sent to those past their snapshot. */
  delivered(record: OpRecord): void {
    for (const [member, joiner] of this.#joiners) {
      if (joiner.afterSeq === null || record.seq > joiner.afterSeq) joiner.buffer.push(record);
      if (joiner.afterSeq !== null) this.#pump(member, joiner);
      else if (joiner.buffer.length > MAX_JOINER_BUFFER) member.closeSlow();
    }
  }

  /** The member's socket drained; false when it is not a joiner. */
  drained(member: RoomMember): boolean {
    const joiner = this.#joiners.get(member);
    if (!joiner) return false;
    this.#pump(member, joiner);
    return true;
  }

  /**
   * Send a message published to a topic to the joiners already sent their snapshot (they are not
   * on the topics yet); a volatile one is dropped for a socket over the soft limit.
   */
  broadcast(message: OutgoingServerMessage, volatile: boolean, exclude?: RoomMember): void {
    const { limits, metrics } = this.#deps;
    for (const [member, joiner] of this.#joiners) {
      if (joiner.afterSeq === null || member === exclude) continue;
      if (volatile && member.live && member.bufferedAmount() > limits.volatileBackpressureBytes) {
        metrics.volatileDropped.inc();
        continue;
      }
      member.send(message);
    }
  }

  #beginStream(member: RoomMember, joiner: Joiner, read: SnapshotRead): void {
    const { metrics, mapId } = this.#deps;
    const head = read.head;
    if (!head) throw unavailable();
    metrics.snapshotsStreamed.inc();
    metrics.snapshotStreams.inc();
    member.send({
      type: 'snapshotBegin',
      mapId,
      seq: head.seq,
      role: member.role,
      map: head.map,
      layers: head.layers,
      featureCount: head.featureCount,
    });
    joiner.stream = { read, seq: head.seq, next: 0 };
    this.#pump(member, joiner);
  }

  /** The whole snapshot as one `snapshot` message (a map of one chunk, or a member before v3). */
  #sendWhole(member: RoomMember, read: SnapshotRead): void {
    const head = read.head;
    const frames = read.frames;
    if (!head || !frames) throw unavailable();
    const features: Feature[] = [];
    for (let i = 0; i < frames.count; i++) {
      const text = frames.chunk(i);
      if (text) features.push(...(JSON.parse(text) as ServerMessageOf<'snapshotChunk'>).features);
    }
    this.#sendLast(member, {
      type: 'snapshot',
      seq: head.seq,
      role: member.role,
      map: head.map,
      features,
      layers: head.layers,
    });
  }

  /** Send a joiner what it can take: its stream's chunks, then its buffered ops; onto the topics once caught up. */
  #pump(member: RoomMember, joiner: Joiner): void {
    if (!member.live) return;
    if (joiner.stream) {
      this.#pumpStream(member, joiner, joiner.stream);
      return;
    }
    if (joiner.afterSeq === null) return;
    const { limits, mapId } = this.#deps;
    const roomy = () => member.bufferedAmount() < limits.maxBackpressureBytes / 2;
    while (joiner.buffer.length > 0 && roomy()) {
      const record = joiner.buffer.shift();
      if (record && !member.send({ type: 'op', mapId, record })) return;
    }
    const delivered = this.#deps.deliveredSeq();
    if (joiner.buffer.length === 0 && delivered !== null && delivered >= joiner.afterSeq && roomy()) {
      this.#joiners.delete(member);
      member.subscribe(this.#deps.opsTopic);
      member.subscribe(this.#deps.volatileTopic);
    } else if (joiner.buffer.length > MAX_JOINER_BUFFER) {
      member.closeSlow();
    }
  }

  /**
   * Send a joiner the next chunks of its streamed snapshot that are sealed, while its socket has
   * room for a whole one below the soft backpressure limit, so the node holds at most about that
   * much for it (the frames themselves are shared); the rest goes out on drain or as pages arrive.
   * Once every chunk is out, the joiner is admitted (its presence starts), told the end with who
   * is here, and caught up like any joiner.
   */
  #pumpStream(member: RoomMember, joiner: Joiner, stream: SnapshotStream): void {
    const limitBytes = this.#deps.limits.maxBackpressureBytes / 2;
    const frames = stream.read.frames;
    if (!frames) return;
    for (;;) {
      const text = frames.chunk(stream.next);
      if (text === null) break;
      if (member.bufferedAmount() + text.length > limitBytes && member.bufferedAmount() > 0) return;
      if (!member.sendEncoded('snapshotChunk', text)) return;
      stream.next++;
    }
    // Sent all that is sealed: the end only once the read is complete (a failed read fails the join).
    if (!stream.read.complete) return;
    joiner.stream = null;
    this.#endStream(stream);
    this.#sendLast(member, { type: 'snapshotEnd', seq: stream.seq, chunkCount: stream.next });
  }

  /**
   * The last message of the member's snapshot (the whole `snapshot`, or a stream's `snapshotEnd`):
   * its presence starts and it is told who is here, then it is caught up from the snapshot's seq.
   */
  #sendLast(member: RoomMember, last: SnapshotLast): void {
    const { admit, mapId, presence } = this.#deps;
    admit(member);
    member.send({ ...last, mapId, presence: presence() });
    this.#complete(member, last.seq);
  }

  #endStream(stream: SnapshotStream): void {
    this.#deps.metrics.snapshotStreams.dec();
    this.#deps.snapshots.release(stream.read);
  }

  /**
   * The snapshot or replay at `seq` was sent: then what the room adds (how each live-feed layer
   * is doing, the audience count), then what came after `seq`; then it moves to the topics.
   */
  #complete(member: RoomMember, seq: number, rest: readonly OpRecord[] = []): void {
    for (const message of this.#deps.catchUp(member)) member.send(message);
    const joiner = this.#joiners.get(member);
    if (!joiner) return;
    // Caught up once it was sent `rest` too: live records up to there are in `rest` already.
    const after = rest.at(-1)?.seq ?? seq;
    joiner.afterSeq = after;
    joiner.buffer = [...rest, ...joiner.buffer.filter((record) => record.seq > after)];
    this.#pump(member, joiner);
  }
}

function unavailable(): MeridianError {
  return new MeridianError(ErrorCode.STORAGE_UNAVAILABLE, 'the snapshot read did not complete');
}
