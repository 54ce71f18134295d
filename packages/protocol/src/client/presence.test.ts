import { describe, expect, it } from 'vitest';
import type { ClientMessage } from '../messages/client.ts';
import type { PresenceEntry } from '../messages/common.ts';
import { parseServerMessage } from '../parse.ts';
import { PresenceChannel } from './presence.ts';
import { ManualClock } from './test-doubles.ts';

const tab = (clientId: string, personId: string, cursor: [number, number] | null = null): PresenceEntry => ({
  clientId,
  personId,
  name: personId.toUpperCase(),
  color: '#0076d3',
  role: 'edit',
  cursor,
  viewport: null,
  following: null,
});

function channel() {
  const sent: ClientMessage[] = [];
  const clock = new ManualClock();
  const presence = new PresenceChannel({
    mapId: 'm1',
    clientId: 'me-tab-1',
    personId: 'me',
    user: { name: 'Me', color: '#c43f3e' },
    clock,
    send: (message) => {
      sent.push(message);
      return true;
    },
  });
  return { presence, sent, clock };
}

describe('PresenceChannel', () => {
  it('shows each other person once, with the cursor of the tab they used last', () => {
    const { presence } = channel();
    presence.joined([tab('bo-1', 'bo', [1, 1]), tab('bo-2', 'bo', [2, 2]), tab('cy-1', 'cy')]);
    expect([...presence.peers.keys()]).toEqual(['bo', 'cy']);
    presence.handle({ type: 'presence', mapId: 'm1', entry: tab('bo-1', 'bo', [5, 5]) });
    expect(presence.peers.get('bo')?.cursor).toEqual([5, 5]);
    expect(presence.personOf('bo-2')?.personId).toBe('bo');
    // One of Bo's tabs leaves: Bo stays, with the other tab's state.
    presence.handle({ type: 'presenceLeft', mapId: 'm1', clientId: 'bo-1' });
    expect(presence.peers.get('bo')?.clientId).toBe('bo-2');
    presence.handle({ type: 'presenceLeft', mapId: 'm1', clientId: 'bo-2' });
    expect([...presence.peers.keys()]).toEqual(['cy']);
  });

  it("never lists this person's own tabs, and takes the colour the map assigned from them", () => {
    const { presence } = channel();
    expect(presence.color).toBe('#c43f3e');
    presence.joined([{ ...tab('me-tab-2', 'me'), color: '#118d29' }]);
    expect(presence.peers.size).toBe(0);
    expect(presence.color).toBe('#118d29');
    // Summoned by one's own other tab: not someone else's summon.
    const summons: string[] = [];
    presence.on('summon', (from) => summons.push(from));
    const viewport = {
      bounds: [0, 0, 1, 1] as [number, number, number, number],
      zoom: 2,
      bearing: 0,
      pitch: 0,
    };
    presence.handle({ type: 'summon', mapId: 'm1', from: 'me', viewport });
    presence.handle({ type: 'summon', mapId: 'm1', from: 'bo', viewport });
    expect(summons).toEqual(['bo']);
  });

  it('keeps the audience count, and re-sends its last cursor after a reconnect so it is listed again', () => {
    const { presence, sent, clock } = channel();
    const parsed = parseServerMessage('{"type":"audience","mapId":"m1","watching":1200}');
    expect(parsed.ok).toBe(true);
    if (parsed.ok) presence.handle(parsed.value);
    expect(presence.watching).toBe(1200);
    presence.joined([]);
    presence.setCursor([3, 4]);
    clock.advance(100);
    presence.disconnected();
    sent.length = 0;
    presence.joined([]);
    expect(sent).toEqual([{ type: 'presence', mapId: 'm1', cursor: [3, 4], name: 'Me' }]);
  });
});
