import { commitOp, createMap, type Database, openDatabase } from '@meridian/db';
import {
  encodeBusPresenceBatch,
  generatedColor,
  type OpRecord,
  type OutgoingServerMessage,
  outgoingText,
  PERSON_PALETTE,
  type PresenceEntry,
  type Role,
  type ServerMessage,
} from '@meridian/protocol';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmbeddedDataDir } from '../../test/databases.ts';
import { waitFor } from '../../test/wait.ts';
import type { Bus } from '../bus/bus.ts';
import { createMemoryBus } from '../bus/memory-bus.ts';
import { systemClock } from '../clock.ts';
import { createLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { DISTINCT_COLORS } from './person-colors.ts';
import { Room, type RoomDeps, type RoomHooks } from './room.ts';
import type { RoomMember, RoomTopics } from './room-member.ts';

// A room with its real parts (embedded PGlite, the in-memory bus, the sequencer, presence), and
// members that are not sockets: what a room sends them is recorded in order.

/** Topic subscriptions of the test's members: what uWS topics are to socket members. */
class Topics implements RoomTopics {
  readonly subscribers = new Map<string, Set<TestMember>>();
  /** How many times each topic was published to (a batch is one publish, whatever its size). */
  readonly publishes = new Map<string, number>();

  publish(topic: string, message: OutgoingServerMessage, exclude?: TestMember): void {
    this.publishes.set(topic, (this.publishes.get(topic) ?? 0) + 1);
    for (const member of this.subscribers.get(topic) ?? []) {
      if (member !== exclude) member.received.push(decoded(message));
    }
  }
}

/** What a socket would read: a pre-encoded frame is parsed back. */
function decoded(message: OutgoingServerMessage): ServerMessage {
  return JSON.parse(outgoingText(message)) as ServerMessage;
}

class TestMember implements RoomMember {
  readonly received: ServerMessage[] = [];
  live = true;
  /** What bufferedAmount() reports. */
  buffered = 0;
  volatileDropped = 0;
  closedSlow = false;
  /** A protocol v3 client (streamed snapshots); the v2 default gets one `snapshot` message. */
  streamsSnapshots = false;
  /** Whether encoded frames stay in its send buffer until the test drains it (a socket not reading). */
  holdsFrames = false;
  /** Whether every message sent stays in its send buffer until the test drains it. */
  holdsSends = false;
  readonly #topics: Topics;

  constructor(
    topics: Topics,
    readonly clientId: string,
    readonly role: Role = 'edit',
    readonly name = clientId,
    readonly color = '#336699',
    readonly personId = clientId,
  ) {
    this.#topics = topics;
  }

  send(message: OutgoingServerMessage): boolean {
    if (!this.live) return false;
    if (this.holdsSends) this.buffered += outgoingText(message).length;
    this.received.push(decoded(message));
    return true;
  }

  sendEncoded(_type: ServerMessage['type'], text: string): boolean {
    if (!this.live) return false;
    if (this.holdsFrames) this.buffered += text.length;
    this.received.push(JSON.parse(text) as ServerMessage);
    return true;
  }

  bufferedAmount(): number {
    return this.buffered;
  }

  publish(topic: string, message: OutgoingServerMessage): void {
    this.#topics.publish(topic, message, this);
  }

  subscribe(topic: string): void {
    let members = this.#topics.subscribers.get(topic);
    if (!members) {
      members = new Set();
      this.#topics.subscribers.set(topic, members);
    }
    members.add(this);
  }

  unsubscribe(topic: string): void {
    this.#topics.subscribers.get(topic)?.delete(this);
  }

  isSubscribed(topic: string): boolean {
    return this.#topics.subscribers.get(topic)?.has(this) ?? false;
  }

  countVolatileDropped(): void {
    this.volatileDropped++;
  }

  closeSlow(): void {
    this.closedSlow = true;
  }

  ofType<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.received.filter(
      (message): message is Extract<ServerMessage, { type: T }> => message.type === type,
    );
  }

  /** Every presence entry it was sent, single or batched, in the order sent. */
  get presenceEntries(): PresenceEntry[] {
    return this.received.flatMap((message) =>
      message.type === 'presence' ? [message.entry] : message.type === 'presenceBatch' ? message.entries : [],
    );
  }

  /** Presence entries and departures as one ordered stream: `clientId` or `-clientId`. */
  get presenceEvents(): string[] {
    return this.received.flatMap((message) =>
      message.type === 'presenceBatch'
        ? message.entries.map((entry) => entry.clientId)
        : message.type === 'presenceLeft'
          ? [`-${message.clientId}`]
          : [],
    );
  }

  /** The seqs of the ops it was sent, in the order sent. */
  get opSeqs(): number[] {
    return this.ofType('op').map((message) => message.record.seq);
  }
}

let data: { dir: string; remove(): Promise<void> };
let db: Database;
let bus: Bus;

beforeAll(async () => {
  data = await createEmbeddedDataDir();
  db = await openDatabase({ dataDir: data.dir });
  bus = createMemoryBus();
});

afterAll(async () => {
  await bus?.close();
  await db?.close();
  await data?.remove();
});

let topics: Topics;
let mapId: string;
let opens: Room[];
let metrics: ReturnType<typeof createMetrics>;

beforeEach(async () => {
  topics = new Topics();
  metrics = createMetrics({ processMetrics: false, nodeId: 'room-test' });
  mapId = (await createMap(db, { name: 'Room test' })).map.id;
  opens = [];
});

afterEach(() => {
  for (const room of opens) room.close();
});

async function openRoom(
  options: {
    maxReplayOps?: number;
    maxReplayBytes?: number;
    hooks?: RoomHooks;
    presenceBatchMs?: number;
    maxBackpressureBytes?: number;
  } = {},
) {
  const emptied: Room[] = [];
  const deps: RoomDeps = {
    nodeId: 'room-test',
    db,
    bus,
    topics,
    logger: createLogger('silent', 'room-test'),
    metrics,
    clock: systemClock,
    limits: {
      maxBackpressureBytes: options.maxBackpressureBytes ?? 1 << 20,
      volatileBackpressureBytes: 1 << 16,
      presenceFlushMs: 20,
      presenceBatchMs: options.presenceBatchMs ?? 20,
      presenceHeartbeatMs: 1000,
      presenceTtlMs: 5000,
      gapHoldMs: 50,
      maxReplayOps: options.maxReplayOps ?? 100,
      maxReplayBytes: options.maxReplayBytes ?? 16 << 20,
      opTail: { maxOps: 1000, maxBytes: 1 << 20 },
    },
    ...(options.hooks ? { hooks: options.hooks } : {}),
  };
  const room = new Room(mapId, deps, (empty) => {
    emptied.push(empty);
    empty.close();
  });
  await room.open();
  opens.push(room);
  return { room, emptied };
}

let nextOp = 0;
/** Commit a rename (the op kind least tied to the feature model) and return its record. */
async function commit(name: string): Promise<OpRecord> {
  const result = await commitOp(db, {
    mapId,
    clientId: 'writer',
    opId: `op-${++nextOp}`,
    op: { kind: 'map.rename', name },
  });
  if (result.status === 'rejected') throw new Error(result.message);
  return result.record;
}

/** Reserve (as RoomRegistry.enter does) and join. */
async function join(room: Room, member: TestMember, lastSeq?: number): Promise<void> {
  room.reserve();
  await room.join(member, lastSeq);
}

describe('Room', () => {
  it('sends a joiner a snapshot (counting it as watching), then every later op once, in seq order', async () => {
    const { room } = await openRoom();
    const first = await commit('one');
    room.deliver(first);
    const alice = new TestMember(topics, 'alice');
    await join(room, alice);
    const [snapshot] = alice.ofType('snapshot');
    expect(snapshot?.seq).toBe(1);
    expect(snapshot?.map.name).toBe('one');
    // Alice has done nothing yet: counted, not listed.
    expect(snapshot?.presence).toEqual([]);
    await waitFor('alice counted', () => (alice.ofType('audience').at(-1)?.watching === 1 ? true : null));
    expect(alice.isSubscribed(room.opsTopic)).toBe(true);

    room.deliver(await commit('two'));

    // Committed before Bob's snapshot is read, delivered while it is: in his snapshot, so not sent again.
    const third = await commit('three');
    const bob = new TestMember(topics, 'bob');
    room.reserve();
    const joining = room.join(bob);
    room.deliver(third);
    await joining;
    expect(bob.ofType('snapshot')[0]?.seq).toBe(3);

    const fourth = await commit('four');
    const fifth = await commit('five');
    // Out of order, and the fourth twice: the sequencer holds the fifth until the fourth is here.
    room.deliver(fifth);
    room.deliver(fourth);
    room.deliver(fourth);
    await waitFor('bob has op 5', () => (bob.opSeqs.includes(5) ? true : null));

    expect(alice.opSeqs).toEqual([2, 3, 4, 5]);
    expect(bob.opSeqs).toEqual([4, 5]);
    expect(room.mapName).toBe('five');
  });

  it('resumes a member from a recent lastSeq with a replay of exactly what it missed, from the tail or storage', async () => {
    const beforeOpen = [await commit('a'), await commit('b')];
    const { room } = await openRoom({ maxReplayOps: 3 });
    for (const name of ['c', 'd']) room.deliver(await commit(name));

    // Seq 1 and 2 were committed before the room opened: not in its tail, so read from storage.
    const fromStorage = new TestMember(topics, 'carol');
    await join(room, fromStorage, 1);
    const replay = fromStorage.ofType('replay')[0];
    expect(replay && [replay.fromSeq, replay.toSeq]).toEqual([2, 4]);
    expect(replay?.ops.map((record) => record.seq)).toEqual([2, 3, 4]);
    expect(replay?.ops[0]?.opId).toBe(beforeOpen[1]?.opId);
    expect(replay?.presence).toEqual([]);
    expect(fromStorage.ofType('snapshot')).toHaveLength(0);

    // Seq 3 and 4 were delivered by the room: served from its tail.
    const fromTail = new TestMember(topics, 'dave');
    await join(room, fromTail, 3);
    const tailReplay = fromTail.ofType('replay')[0];
    expect(tailReplay?.ops.map((record) => record.seq)).toEqual([4]);
    expect(tailReplay?.map?.name).toBe('d');

    // Up to date: an empty replay, no snapshot.
    const current = new TestMember(topics, 'erin');
    await join(room, current, 4);
    expect(current.ofType('replay')[0]?.ops).toEqual([]);

    // Further behind than MAX_REPLAY_OPS, or ahead of the map: a snapshot instead.
    const behind = new TestMember(topics, 'frank');
    await join(room, behind, 0);
    expect(behind.ofType('snapshot')[0]?.seq).toBe(4);
    expect(behind.ofType('replay')).toHaveLength(0);
    const ahead = new TestMember(topics, 'grace');
    await join(room, ahead, 9);
    expect(ahead.ofType('snapshot')[0]?.seq).toBe(4);

    // Each of them then gets the next op live, once.
    room.deliver(await commit('e'));
    for (const member of [fromStorage, fromTail, current, behind, ahead]) {
      expect(member.opSeqs).toEqual([5]);
    }
  });

  it('sends what the hooks add right after the snapshot, before the live ops', async () => {
    const { room } = await openRoom({
      hooks: {
        catchUp: (of) => [
          {
            type: 'layerStatus',
            mapId: of.mapId,
            layerId: 'quakes',
            state: 'polling',
            mode: 'poll',
            detail: 'every 60 s',
            badSignatures: 0,
            entries: 0,
            at: 1,
          },
        ],
      },
    });
    const alice = new TestMember(topics, 'alice');
    await join(room, alice);
    expect(alice.received.map((message) => message.type).slice(0, 2)).toEqual(['snapshot', 'layerStatus']);
  });

  it('lists a member once it moves its cursor, paces presence, drops it for a member over the soft limit, and announces a leave', async () => {
    const { room, emptied } = await openRoom();
    const alice = new TestMember(topics, 'alice');
    const bob = new TestMember(topics, 'bob', 'edit', 'Bob', '#aa0000');
    await join(room, alice);
    await join(room, bob);
    expect(bob.ofType('snapshot')[0]?.presence).toEqual([]);
    // A viewport is not doing something: Bob stays counted.
    room.updatePresence(bob, { viewport: { bounds: [0, 0, 1, 1], zoom: 3, bearing: 0, pitch: 0 } });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(alice.ofType('presence')).toEqual([]);

    room.updatePresence(bob, { cursor: [0.5, 0.5] });
    await waitFor(
      "alice sees bob's entry",
      () => alice.presenceEntries.find((entry) => entry.clientId === 'bob') ?? null,
    );
    const bobEntry = alice.presenceEntries.find((entry) => entry.clientId === 'bob');
    // '#aa0000' is not a palette colour: Bob gets the first free one.
    expect(bobEntry).toMatchObject({ name: 'Bob', personId: 'bob', color: PERSON_PALETTE[0], role: 'edit' });
    expect(bobEntry?.viewport?.zoom).toBe(3);
    // Presence travels in batches only (one frame for every receiver, the sender included, which
    // learns the colour the map assigned it from its own entry).
    expect(alice.ofType('presence')).toEqual([]);
    expect(bob.presenceEntries.find((entry) => entry.clientId === 'bob')?.color).toBe(PERSON_PALETTE[0]);

    // A burst of cursor moves: the latest always arrives, and never more messages than moves.
    for (let x = 1; x <= 10; x++) room.updatePresence(bob, { cursor: [x, 0] });
    await waitFor("alice sees bob's last cursor", () =>
      alice.presenceEntries.some((entry) => entry.cursor?.[0] === 10) ? true : null,
    );
    const bobUpdates = alice.presenceEntries.filter((entry) => entry.clientId === 'bob');
    expect(bobUpdates.length).toBeLessThan(12);

    // Over the soft backpressure limit, Alice is taken off the volatile topic and the drop counted.
    alice.buffered = 1 << 17;
    const before = alice.presenceEntries.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    room.updatePresence(bob, { cursor: [99, 0] });
    await waitFor('the drop is counted', () => (alice.volatileDropped > 0 ? true : null));
    expect(alice.isSubscribed(room.volatileTopic)).toBe(false);
    expect(alice.presenceEntries.length).toBe(before);
    // Drained: back on the topic.
    alice.buffered = 0;
    room.onDrain(alice);
    expect(alice.isSubscribed(room.volatileTopic)).toBe(true);

    room.remove(bob);
    expect(alice.ofType('presenceLeft').map((message) => message.clientId)).toEqual(['bob']);
    expect(bob.isSubscribed(room.opsTopic)).toBe(false);
    expect(emptied).toEqual([]);
    room.remove(alice);
    expect(emptied).toHaveLength(1);
    expect(emptied[0]).toBe(room);
  });

  it('gives the people listed on it distinct colours, one per person however many tabs', async () => {
    const { room } = await openRoom();
    const watcher = new TestMember(topics, 'watcher');
    await join(room, watcher);
    // Twelve people who all ask for the same colour, the first of them in two tabs.
    const tabs = Array.from(
      { length: 12 },
      (_, i) => new TestMember(topics, `c${i}`, 'edit', `P${i}`, PERSON_PALETTE[3], `p${i}`),
    );
    const secondTab = new TestMember(topics, 'c0-b', 'edit', 'P0', PERSON_PALETTE[3], 'p0');
    for (const member of [...tabs, secondTab]) await join(room, member);
    for (const member of [...tabs, secondTab]) room.updatePresence(member, { cursor: [1, 1] });
    const latest = () => {
      const byClient = new Map<string, string>();
      for (const entry of watcher.presenceEntries) byClient.set(entry.clientId, entry.color);
      return byClient;
    };
    await waitFor('all 13 tabs listed', () => (latest().size === 13 ? true : null));
    const colors = latest();
    expect(colors.get('c0')).toBe(PERSON_PALETTE[3]);
    expect(colors.get('c0-b')).toBe(colors.get('c0'));
    expect(new Set(tabs.map((tab) => colors.get(tab.clientId))).size).toBe(12);

    // One tab of p0 leaves: that tab goes, the person (and their colour) stays.
    room.remove(secondTab);
    expect(watcher.ofType('presenceLeft').map((message) => message.clientId)).toEqual(['c0-b']);
    const late = new TestMember(topics, 'late', 'edit', 'Late', PERSON_PALETTE[3], 'p-late');
    await join(room, late);
    room.updatePresence(late, { cursor: [2, 2] });
    await waitFor('the late person listed', () => latest().get('late') ?? null);
    expect(
      [...latest().entries()].filter(([id, color]) => id !== 'late' && color === latest().get('late')),
    ).toEqual([]);
  });

  // The full sweep's fault (issue #16): the 709th person listed on a map (past the 708 colours there
  // are) sent the colour search round the generated hues for ever, and the node stopped. Here the 708
  // are a peer node's people, arriving in one bus batch, as on the sweep's three nodes.
  it('lists more people than there are colours: a newcomer shares one, and their cursor reaches everyone', async () => {
    const { room } = await openRoom();
    const watcher = new TestMember(topics, 'watcher');
    const mover = new TestMember(topics, 'mover', 'edit', 'Mover', PERSON_PALETTE[0], 'q-mover');
    await join(room, watcher);
    await join(room, mover);
    const colors = [
      ...new Set([...PERSON_PALETTE, ...Array.from({ length: 4096 }, (_, n) => generatedColor(n))]),
    ];
    expect(colors).toHaveLength(DISTINCT_COLORS);
    const crowd = colors.map((color, i) => ({
      clientId: `peer-${i}`,
      personId: `p${i}`,
      name: `P${i}`,
      color,
      role: 'edit' as const,
      cursor: [0, 0] as [number, number],
      viewport: null,
      following: null,
    }));
    const frame = outgoingText({ type: 'presenceBatch', mapId, entries: crowd });
    bus.publishEncoded(mapId, encodeBusPresenceBatch(mapId, 'peer-node', frame));
    await waitFor('the peer’s crowd', () => (watcher.presenceEntries.length >= crowd.length ? true : null));
    for (const x of [1, 2]) {
      room.updatePresence(mover, { cursor: [x, x] });
      await waitFor(`the mover’s cursor ${x}`, () =>
        watcher.presenceEntries.some((entry) => entry.clientId === 'mover' && entry.cursor?.[0] === x)
          ? true
          : null,
      );
    }
    const moverColor = watcher.presenceEntries.find((entry) => entry.clientId === 'mover')?.color;
    expect(colors).toContain(moverColor);
  });

  it('counts viewers instead of listing them: O(1) messages for a crowd, and summon reaches them', async () => {
    const { room } = await openRoom();
    const editor = new TestMember(topics, 'editor');
    await join(room, editor);
    room.updatePresence(editor, { cursor: [1, 1] });
    const viewers = Array.from({ length: 200 }, (_, i) => new TestMember(topics, `v${i}`, 'view'));
    const startedAt = Date.now();
    await Promise.all(viewers.map((viewer) => join(room, viewer)));
    // A viewer's cursor does not list it.
    room.updatePresence(viewers[0] as TestMember, { cursor: [3, 3] });
    await waitFor('the editor sees 200 watching', () =>
      editor.ofType('audience').at(-1)?.watching === 200 ? true : null,
    );
    const elapsedMs = Date.now() - startedAt;
    // The editor hears only of itself (its assigned colour); of the viewers, nothing.
    expect(new Set(editor.presenceEntries.map((entry) => entry.clientId))).toEqual(new Set(['editor']));
    // At most one count per AUDIENCE_FLUSH_MS (1 s), plus the first: never one per viewer.
    expect(editor.ofType('audience').length).toBeLessThanOrEqual(2 + Math.ceil(elapsedMs / 1000));
    // Viewers see the editor (to follow them), not each other.
    const last = viewers.at(-1) as TestMember;
    expect(last.ofType('snapshot')[0]?.presence.map((entry) => entry.clientId)).toEqual(['editor']);
    expect(last.presenceEntries.filter((entry) => entry.clientId !== 'editor')).toEqual([]);

    room.summon(editor, { bounds: [0, 0, 2, 2], zoom: 5, bearing: 0, pitch: 0 });
    for (const viewer of viewers) expect(viewer.ofType('summon')[0]?.from).toBe('editor');

    for (const viewer of viewers.slice(0, 50)) room.remove(viewer);
    await waitFor('the editor sees 150 watching', () =>
      editor.ofType('audience').at(-1)?.watching === 150 ? true : null,
    );
  });

  it('batches the presence of many senders into one frame per interval, latest per sender', async () => {
    const { room } = await openRoom({ presenceBatchMs: 200 });
    const watcher = new TestMember(topics, 'watcher');
    const movers = ['m1', 'm2', 'm3'].map((id) => new TestMember(topics, id));
    await join(room, watcher);
    for (const mover of movers) await join(room, mover);
    await new Promise((resolve) => setTimeout(resolve, 450));
    const framesBefore = watcher.ofType('presenceBatch').length;
    const publishesBefore = topics.publishes.get(room.volatileTopic) ?? 0;
    // The first change goes out at once (a batch of one); the rest wait for the interval's end.
    for (let x = 1; x <= 5; x++) for (const mover of movers) room.updatePresence(mover, { cursor: [x, 0] });
    await waitFor('the held changes arrive', () =>
      watcher.ofType('presenceBatch').length >= framesBefore + 2 ? true : null,
    );
    const frames = watcher.ofType('presenceBatch').slice(framesBefore);
    expect(frames).toHaveLength(2);
    expect(frames[0]?.entries.map((entry) => entry.clientId)).toEqual(['m1']);
    // One entry per sender, its latest state (the pacing held the rest, and the batch conflates).
    const last = frames[1]?.entries ?? [];
    expect(last.map((entry) => entry.clientId).sort()).toEqual(['m1', 'm2', 'm3']);
    expect(last.every((entry) => entry.cursor?.[0] === 5)).toBe(true);
    // Each frame was published once to the topic, not once per receiver.
    expect((topics.publishes.get(room.volatileTopic) ?? 0) - publishesBefore).toBe(2);
  });

  it('never sends a held entry after the sender left: presenceLeft is the last word', async () => {
    const { room } = await openRoom({ presenceBatchMs: 200 });
    const watcher = new TestMember(topics, 'watcher');
    const bob = new TestMember(topics, 'bob');
    const carol = new TestMember(topics, 'carol');
    await join(room, watcher);
    await join(room, bob);
    await join(room, carol);
    await new Promise((resolve) => setTimeout(resolve, 450));
    room.updatePresence(carol, { cursor: [1, 1] });
    room.updatePresence(bob, { cursor: [2, 2] });
    room.updatePresence(carol, { cursor: [3, 3] });
    // Bob's move is held for the batch; he leaves before it goes.
    room.remove(bob);
    await waitFor("carol's held move arrives", () =>
      watcher.presenceEntries.some((entry) => entry.cursor?.[0] === 3) ? true : null,
    );
    const events = watcher.presenceEvents;
    expect(events.lastIndexOf('bob')).toBeLessThan(events.indexOf('-bob'));
    expect(events.filter((event) => event === '-bob')).toHaveLength(1);
  });
});

/** Points with a 1 KB description: a few hundred fill many 64 KiB chunks. */
async function importPoints(count: number, prefix = 'p'): Promise<OpRecord> {
  const features = Array.from({ length: count }, (_, i) => ({
    type: 'Feature' as const,
    id: `${prefix}${i}`,
    geometry: { type: 'Point' as const, coordinates: [(i % 360) - 180, (i % 170) - 85] as [number, number] },
    properties: { title: `Point ${i}`, description: 'x'.repeat(1000) },
    version: 0,
  }));
  const result = await commitOp(db, {
    mapId,
    clientId: 'importer',
    opId: `import-${++nextOp}`,
    op: { kind: 'features.import', features },
  });
  if (result.status === 'rejected') throw new Error(result.message);
  return result.record;
}

const streams = async () => (await metrics.snapshotStreams.get()).values[0]?.value ?? 0;

describe('Room, streamed snapshot (protocol v3)', () => {
  it('sends chunks only while the socket has room, the rest as it drains; ops committed meanwhile follow the end, in order', async () => {
    const backpressure = 256 * 1024;
    const { room } = await openRoom({ maxBackpressureBytes: backpressure });
    room.deliver(await importPoints(600));
    const joiner = new TestMember(topics, 'joiner');
    joiner.streamsSnapshots = true;
    joiner.holdsFrames = true;
    await join(room, joiner);
    expect(joiner.ofType('snapshot')).toEqual([]);
    expect(joiner.ofType('snapshotBegin')[0]).toMatchObject({ seq: 1, featureCount: 600 });
    // The socket holds at most half the backpressure limit: the node is not asked to buffer the rest.
    expect(joiner.buffered).toBeLessThanOrEqual(backpressure / 2);
    const firstBurst = joiner.ofType('snapshotChunk').length;
    expect(firstBurst).toBeGreaterThan(0);
    expect(await streams()).toBe(1);

    // Committed while the snapshot streams: held for the joiner, not interleaved with chunks.
    const later = [await commit('two'), await commit('three'), await commit('four')];
    for (const record of later) room.deliver(record);
    expect(joiner.opSeqs).toEqual([]);
    expect(joiner.isSubscribed(room.opsTopic)).toBe(false);

    let drains = 0;
    while (joiner.ofType('snapshotEnd').length === 0 && drains < 100) {
      joiner.buffered = 0;
      room.onDrain(joiner);
      expect(joiner.buffered).toBeLessThanOrEqual(backpressure / 2);
      drains++;
    }
    expect(drains).toBeGreaterThan(1);
    const chunks = joiner.ofType('snapshotChunk');
    expect(chunks.map((chunk) => chunk.index)).toEqual(chunks.map((_, i) => i));
    const ids = chunks.flatMap((chunk) => chunk.features.map((feature) => feature.id));
    expect(ids).toHaveLength(600);
    expect(new Set(ids).size).toBe(600);
    const end = joiner.ofType('snapshotEnd')[0];
    expect(end).toMatchObject({ seq: 1, chunkCount: chunks.length });
    // Audience mode: a joiner is counted, not listed, until it does something.
    expect(end?.presence).toEqual([]);
    expect(await streams()).toBe(0);

    await waitFor('the ops after the snapshot', () => (joiner.opSeqs.length === 3 ? true : null));
    expect(joiner.opSeqs).toEqual([2, 3, 4]);
    const types = joiner.received.map((message) => message.type).filter((type) => type !== 'presence');
    expect(types.indexOf('snapshotEnd')).toBeLessThan(types.indexOf('op'));
    expect(types.lastIndexOf('snapshotChunk')).toBeLessThan(types.indexOf('snapshotEnd'));
    expect(joiner.isSubscribed(room.opsTopic)).toBe(true);
  });

  it('gives a v2 member the same map as one snapshot message', async () => {
    const { room } = await openRoom();
    room.deliver(await importPoints(300));
    const old = new TestMember(topics, 'old');
    await join(room, old);
    expect(old.ofType('snapshotBegin')).toEqual([]);
    expect(old.ofType('snapshot')[0]?.features).toHaveLength(300);
  });

  it('forgets a joiner that leaves mid-stream', async () => {
    const { room, emptied } = await openRoom({ maxBackpressureBytes: 256 * 1024 });
    room.deliver(await importPoints(600));
    const joiner = new TestMember(topics, 'leaver');
    joiner.streamsSnapshots = true;
    joiner.holdsFrames = true;
    await join(room, joiner);
    expect(await streams()).toBe(1);
    joiner.live = false;
    room.remove(joiner);
    expect(await streams()).toBe(0);
    expect(emptied).toEqual([room]);
  });
});

describe('Room, resuming behind bulk records', () => {
  /** Four imports of ~330 KB each after one small op: seq 1 small, 2-5 big. */
  async function bulkHistory(room: Room) {
    room.deliver(await commit('small'));
    for (const prefix of ['a', 'b', 'c', 'd']) room.deliver(await importPoints(300, prefix));
  }

  it('replays what fits below the soft limit, then the rest one record per drain, never closing it as slow', async () => {
    const backpressure = 256 * 1024;
    const { room } = await openRoom({ maxBackpressureBytes: backpressure });
    await bulkHistory(room);
    const member = new TestMember(topics, 'resumer');
    member.holdsSends = true;
    await join(room, member, 1);
    const replay = member.ofType('replay')[0];
    // One record over the soft limit goes alone; the rest wait for the socket to drain.
    expect(replay && [replay.fromSeq, replay.toSeq, replay.ops.length]).toEqual([2, 2, 1]);
    expect(member.opSeqs).toEqual([]);
    expect(member.isSubscribed(room.opsTopic)).toBe(false);
    let drains = 0;
    while (!member.isSubscribed(room.opsTopic) && drains < 20) {
      member.buffered = 0;
      room.onDrain(member);
      // At most one record is sent past the soft limit at a time.
      expect(member.opSeqs).toHaveLength(Math.min(drains + 1, 3));
      drains++;
    }
    expect(member.opSeqs).toEqual([3, 4, 5]);
    expect(member.closedSlow).toBe(false);
    // Then live, once each.
    room.deliver(await commit('after'));
    await waitFor('the live op', () => (member.opSeqs.includes(6) ? true : null));
    expect(member.opSeqs).toEqual([3, 4, 5, 6]);
  });

  it('sends a snapshot instead when the missed records are over MAX_REPLAY_BYTES', async () => {
    const { room } = await openRoom({ maxReplayBytes: 512 * 1024 });
    await bulkHistory(room);
    const behind = new TestMember(topics, 'far-behind');
    await join(room, behind, 1);
    expect(behind.ofType('replay')).toEqual([]);
    expect(behind.ofType('snapshot')[0]?.seq).toBe(5);
    // Within the bound: a replay.
    const near = new TestMember(topics, 'near');
    await join(room, near, 4);
    expect(near.ofType('replay')[0]?.ops.map((record) => record.seq)).toEqual([5]);
  });
});
