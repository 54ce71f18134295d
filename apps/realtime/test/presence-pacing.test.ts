import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CreatedMap, createMapVia, type EmbeddedNode, startEmbeddedNode, tokenVia } from './harness.ts';
import { RawSocket, type ServerFrame } from './raw-socket.ts';

// The node's clock only moves when the test moves it, so "within the interval" is exact: a change
// that reaches a peer while the clock stands still was not held for the interval.
const FLUSH_MS = 100;
let nowMs = Date.now();
const clock = { now: () => nowMs };

let node: EmbeddedNode;
let created: CreatedMap;
let token: string;

beforeAll(async () => {
  node = await startEmbeddedNode({ clock, env: { PRESENCE_FLUSH_MS: String(FLUSH_MS) } });
  created = await createMapVia(node.httpUrl, 'Pacing');
  token = await tokenVia(node.httpUrl, created.map.id, created.editKey);
});

afterAll(async () => {
  await node?.stop();
});

type Entry = { clientId: string; cursor: [number, number] | null };

/** The x of the cursor from `clientId` in a presence batch, or null. */
function cursorX(frame: ServerFrame, clientId = 'bob'): number | null {
  if (frame.type !== 'presenceBatch') return null;
  const entry = (frame.entries as Entry[]).find((e) => e.clientId === clientId);
  return entry?.cursor ? entry.cursor[0] : null;
}

/** The cursor positions of `clientId` that `socket` was sent, in order. */
const cursorsOf = (socket: RawSocket, clientId: string) =>
  socket.frames.map((frame) => cursorX(frame, clientId)).filter((x) => x !== null);

it('sends a lone presence change at once and conflates a burst to its latest state', async () => {
  const alice = await RawSocket.open(`${node.wsUrl}?token=${token}`);
  const bob = await RawSocket.open(`${node.wsUrl}?token=${token}`);
  await alice.joinMap(created.map.id, 'alice');
  await bob.joinMap(created.map.id, 'bob');
  const mapId = created.map.id;
  const move = (x: number) => bob.send({ type: 'presence', mapId, cursor: [x, 0] });

  // Bob's first cursor move lists him (audience mode) and goes out at once.
  nowMs += FLUSH_MS;
  move(1);
  await alice.next('presenceBatch', (f) => cursorX(f) === 1);

  // Within the same interval (the clock has not moved): held, latest wins.
  for (const x of [2, 3, 4, 5]) move(x);
  bob.send({ type: 'ping', t: 1 });
  await bob.next('pong');
  expect(cursorsOf(alice, 'bob')).toEqual([1]);
  nowMs += FLUSH_MS;
  await alice.next('presenceBatch', (f) => cursorX(f) === 5);

  // The trailing send counted as a send; one interval after it, the next change goes out at once.
  nowMs += FLUSH_MS;
  move(6);
  await alice.next('presenceBatch', (f) => cursorX(f) === 6);
  expect(cursorsOf(alice, 'bob')).toEqual([1, 5, 6]);
  alice.close();
  bob.close();
});
