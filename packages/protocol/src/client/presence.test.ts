import { describe, expect, it } from 'vitest';
import type { PresenceEntry } from '../messages/common.ts';
import { PresenceChannel } from './presence.ts';
import { ManualClock } from './test-doubles.ts';

const entry = (clientId: string, x: number): PresenceEntry => ({
  clientId,
  name: clientId,
  color: '#336699',
  role: 'edit',
  cursor: [x, 0],
  viewport: null,
  following: null,
});

function channel() {
  const presence = new PresenceChannel({
    mapId: 'm1',
    clientId: 'me',
    user: { name: 'Me', color: '#000000' },
    clock: new ManualClock(),
    send: () => true,
  });
  const events: string[][] = [];
  presence.on('presence', (peers) =>
    events.push([...peers.values()].map((peer) => `${peer.clientId}@${peer.cursor?.[0]}`)),
  );
  presence.joined([entry('a', 0)]);
  events.length = 0;
  return { presence, events };
}

describe('PresenceChannel and presence batches', () => {
  it('applies every entry of a batch, skips its own, and tells listeners once', () => {
    const { presence, events } = channel();
    const handled = presence.handle({
      type: 'presenceBatch',
      mapId: 'm1',
      entries: [entry('a', 1), entry('me', 9), entry('b', 2)],
    });
    expect(handled).toBe(true);
    expect(events).toEqual([['a@1', 'b@2']]);
    expect(presence.peers.has('me')).toBe(false);
  });

  it('stays silent for a batch that only lists itself', () => {
    const { presence, events } = channel();
    presence.handle({ type: 'presenceBatch', mapId: 'm1', entries: [entry('me', 3)] });
    expect(events).toEqual([]);
  });

  it('applies batches, single updates and departures in the order they arrive', () => {
    const { presence, events } = channel();
    presence.handle({ type: 'presenceBatch', mapId: 'm1', entries: [entry('b', 1)] });
    presence.handle({ type: 'presence', mapId: 'm1', entry: entry('b', 2) });
    presence.handle({ type: 'presenceLeft', mapId: 'm1', clientId: 'b' });
    presence.handle({ type: 'presenceBatch', mapId: 'm1', entries: [entry('a', 5)] });
    expect(events).toEqual([['a@0', 'b@1'], ['a@0', 'b@2'], ['a@0'], ['a@5']]);
  });
});
