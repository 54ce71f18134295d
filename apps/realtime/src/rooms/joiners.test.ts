import type { SnapshotHead, SnapshotPageSink } from '@meridian/db';
import {
  ErrorCode,
  type OpRecord,
  type OutgoingServerMessage,
  outgoingText,
  type Role,
  type ServerMessage,
} from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../metrics.ts';
import { Joiners } from './joiners.ts';
import type { RoomMember } from './room-member.ts';
import { SnapshotShare } from './snapshot-share.ts';

// The join flow on its own: a read the test feeds page by page (storage's side is tested in
// packages/db; the whole room over real storage and sockets in room.test.ts and
// test/cold-join.integration.test.ts), members that record what they are sent.

class Member implements RoomMember {
  readonly received: ServerMessage[] = [];
  readonly topics = new Set<string>();
  live = true;
  streamsSnapshots = true;
  readonly role: Role = 'edit';
  readonly name = 'm';
  readonly color = '#112233';
  closedSlow = false;

  constructor(readonly clientId: string) {}

  get personId(): string {
    return this.clientId;
  }

  send(message: OutgoingServerMessage): boolean {
    this.received.push(JSON.parse(outgoingText(message)) as ServerMessage);
    return true;
  }

  sendEncoded(_type: ServerMessage['type'], text: string): boolean {
    this.received.push(JSON.parse(text) as ServerMessage);
    return true;
  }

  bufferedAmount(): number {
    return 0;
  }

  publish(): void {}

  subscribe(topic: string): void {
    this.topics.add(topic);
  }

  unsubscribe(topic: string): void {
    this.topics.delete(topic);
  }

  isSubscribed(topic: string): boolean {
    return this.topics.has(topic);
  }

  countVolatileDropped(): void {}

  closeSlow(): void {
    this.closedSlow = true;
  }

  get types(): string[] {
    return this.received.map((message) => message.type);
  }
}

const head = (seq: number, featureCount: number): SnapshotHead => ({
  map: { id: 'm', name: 'M' },
  seq,
  featureCount,
  layers: [],
});

const text = (id: string) =>
  JSON.stringify({
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [1, 2] },
    properties: { title: id.padEnd(60, '.') },
    version: 0,
  });

const record = (seq: number): OpRecord => ({
  seq,
  opId: `o${seq}`,
  clientId: 'other',
  op: { kind: 'map.rename', name: `R${seq}` },
  at: 0,
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const reads: { sink: SnapshotPageSink; resolve(found: boolean): void; reject(error: Error): void }[] = [];
  let delivered = 5;
  const metrics = createMetrics({ processMetrics: false, nodeId: 'joiners-test' });
  let joiners: Joiners | null = null;
  const snapshots = new SnapshotShare({
    mapId: 'm',
    read: (sink) => new Promise((resolve, reject) => reads.push({ sink, resolve, reject })),
    onProgress: (read) => joiners?.progressed(read),
    // Two features per chunk.
    maxChunkBytes: 2 * (text('a').length + 1),
  });
  joiners = new Joiners({
    mapId: 'm',
    opsTopic: 'ops',
    volatileTopic: 'v',
    snapshots,
    metrics,
    limits: { maxBackpressureBytes: 1 << 20, volatileBackpressureBytes: 1 << 19 },
    deliveredSeq: () => delivered,
    admit: () => {},
    presence: () => [],
    catchUp: () => [],
  });
  const deliver = (seq: number) => {
    delivered = seq;
    joiners?.delivered(record(seq));
  };
  return { joiners, reads, deliver, snapshots };
}

describe('Joiners', () => {
  it('streams the chunks sealed by each page as it arrives; the end and then the ops delivered meanwhile once the read is complete', async () => {
    const { joiners, reads, deliver } = setup();
    const member = new Member('a');
    joiners.add(member);
    const joined = joiners.sendSnapshot(member, 5, () => true);
    await settle();
    await reads[0]?.sink.head(head(5, 7));
    await reads[0]?.sink.page([text('a'), text('b'), text('c'), text('d'), text('e'), text('f')]);
    await settle();
    // [a b] and [c d] are sealed, [e f] may still grow.
    expect(member.types).toEqual(['snapshotBegin', 'snapshotChunk', 'snapshotChunk']);
    deliver(6);
    await reads[0]?.sink.page([text('g')]);
    expect(member.types).toEqual(['snapshotBegin', 'snapshotChunk', 'snapshotChunk', 'snapshotChunk']);
    deliver(7);
    reads[0]?.resolve(true);
    await joined;
    expect(member.types).toEqual([
      'snapshotBegin',
      'snapshotChunk',
      'snapshotChunk',
      'snapshotChunk',
      'snapshotChunk',
      'snapshotEnd',
      'op',
      'op',
    ]);
    expect(member.received.at(-3)).toMatchObject({ type: 'snapshotEnd', seq: 5, chunkCount: 4 });
    expect(joiners.has(member)).toBe(false);
    expect(member.isSubscribed('ops')).toBe(true);
  });

  it('a read failing mid-stream fails the join with STORAGE_UNAVAILABLE, without an end', async () => {
    const { joiners, reads, snapshots } = setup();
    const member = new Member('b');
    joiners.add(member);
    const joined = joiners.sendSnapshot(member, 5, () => true).catch((error: unknown) => error);
    await settle();
    await reads[0]?.sink.head(head(5, 7));
    await reads[0]?.sink.page([text('a'), text('b'), text('c'), text('d'), text('e'), text('f')]);
    await settle();
    expect(member.types).toEqual(['snapshotBegin', 'snapshotChunk', 'snapshotChunk']);
    reads[0]?.reject(new Error('connection terminated'));
    expect(await joined).toMatchObject({ code: ErrorCode.STORAGE_UNAVAILABLE });
    expect(member.types).toEqual(['snapshotBegin', 'snapshotChunk', 'snapshotChunk']);
    joiners.remove(member);
    // The next join reads again.
    const again = new Member('c');
    joiners.add(again);
    const next = joiners.sendSnapshot(again, 5, () => true);
    await settle();
    expect(reads).toHaveLength(2);
    await reads[1]?.sink.head(head(5, 1));
    await reads[1]?.sink.page([text('a')]);
    reads[1]?.resolve(true);
    await next;
    expect(again.types).toEqual(['snapshot']);
    snapshots.clear();
  });

  it('a joiner that leaves mid-read lets the read go: it is abandoned at its next page', async () => {
    const { joiners, reads } = setup();
    const member = new Member('d');
    joiners.add(member);
    const joined = joiners.sendSnapshot(member, 5, () => joiners.has(member));
    await settle();
    await reads[0]?.sink.head(head(5, 7));
    await reads[0]?.sink.page([text('a'), text('b'), text('c'), text('d'), text('e'), text('f')]);
    await settle();
    joiners.remove(member);
    expect(() => reads[0]?.sink.page([text('g')])).toThrow(/abandoned/);
    reads[0]?.reject(new Error('rolled back'));
    await joined;
    expect(member.types).toEqual(['snapshotBegin', 'snapshotChunk', 'snapshotChunk']);
  });
});
