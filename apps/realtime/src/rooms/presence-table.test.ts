import type { PresenceEntry } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { PresenceTable } from './presence-table.ts';

const entry = (clientId: string, name = clientId): PresenceEntry => ({
  clientId,
  name,
  color: '#123456',
  role: 'edit',
  cursor: null,
  viewport: null,
  following: null,
});

describe('PresenceTable', () => {
  it('merges local and remote entries, one per client id', () => {
    const table = new PresenceTable();
    table.setLocal(entry('a'));
    table.setRemote('n2', entry('b'), 0);
    table.setRemote('n3', entry('a', 'stale copy'), 0);
    expect(table.list().map((e) => [e.clientId, e.name])).toEqual([
      ['a', 'a'],
      ['b', 'b'],
    ]);
  });

  it('drops a silent node’s users after the TTL, but not a client still present elsewhere', () => {
    const table = new PresenceTable();
    table.setRemote('dead', entry('x'), 1000);
    table.setRemote('dead', entry('moved'), 1000);
    table.setRemote('alive', entry('moved'), 1000);
    table.heartbeat('alive', ['moved'], 5000);
    expect(table.expire(4000)).toEqual(['x']);
    expect(table.list().map((e) => e.clientId)).toEqual(['moved']);
  });

  it('reconciles a heartbeat: unlisted entries leave, unknown ids ask for state', () => {
    const table = new PresenceTable();
    table.setRemote('n2', entry('b'), 0);
    table.setRemote('n2', entry('c'), 0);
    expect(table.heartbeat('n2', ['c', 'd'], 10)).toEqual({ left: ['b'], unknown: true });
    expect(table.replaceRemote('n2', [entry('c'), entry('d')], 20).left).toEqual([]);
    expect(table.heartbeat('n2', ['c', 'd'], 30)).toEqual({ left: [], unknown: false });
  });

  it('reports a local leave only when no peer still has the client', () => {
    const table = new PresenceTable();
    table.setLocal(entry('a'));
    table.setRemote('n2', entry('a'), 0);
    expect(table.removeLocal('a')).toBe(false);
    expect(table.removeRemote('n2', 'a')).toBe(true);
  });
});
