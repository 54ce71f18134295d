import type { PresenceEntry } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { PresenceTable, silenceLimitMs } from './presence-table.ts';

const entry = (clientId: string, name = clientId): PresenceEntry => ({
  clientId,
  personId: clientId,
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

  it('reconciles a heartbeat: unlisted entries leave, ids unknown for two heartbeats ask for state', () => {
    const table = new PresenceTable();
    table.setRemote('n2', entry('b'), 0);
    table.setRemote('n2', entry('c'), 0);
    // d's entry may still be in flight (the peer's next presence batch): not asked for yet.
    expect(table.heartbeat('n2', ['c', 'd'], 10)).toEqual({ left: ['b'], unknown: false });
    expect(table.heartbeat('n2', ['c', 'd'], 20)).toEqual({ left: [], unknown: true });
    expect(table.replaceRemote('n2', [entry('c'), entry('d')], 30).left).toEqual([]);
    expect(table.heartbeat('n2', ['c', 'd'], 40)).toEqual({ left: [], unknown: false });
  });

  it('does not ask for an entry that arrived between two heartbeats', () => {
    const table = new PresenceTable();
    expect(table.heartbeat('n2', ['d'], 10).unknown).toBe(false);
    table.setRemote('n2', entry('d'), 15);
    expect(table.heartbeat('n2', ['d'], 20).unknown).toBe(false);
  });

  it('reports a local leave only when no peer still has the client', () => {
    const table = new PresenceTable();
    table.setLocal(entry('a'));
    table.setRemote('n2', entry('a'), 0);
    expect(table.removeLocal('a')).toBe(false);
    expect(table.removeRemote('n2', 'a')).toBe(true);
  });

  it('counts a client listed in a peer’s heartbeat as present, before its entry arrives', () => {
    const table = new PresenceTable();
    table.setRemote('old', entry('mover'), 0);
    table.heartbeat('new', ['mover'], 10);
    // The old node no longer lists it: not gone, the new node has it.
    expect(table.heartbeat('old', [], 20)).toEqual({ left: [], unknown: false });
    expect(table.has('mover')).toBe(true);
    expect(table.removeRemote('new', 'mover')).toBe(false);
    expect(table.has('mover')).toBe(false);
  });

  it('gives every peer a fresh TTL after an outage (touchAll)', () => {
    const table = new PresenceTable();
    table.setRemote('n2', entry('b'), 0);
    table.touchAll(10_000);
    expect(table.expire(5_000)).toEqual([]);
    expect(table.expire(10_001)).toEqual(['b']);
  });

  it('drops a dead peer within the TTL of its last message, whatever the phase of the checks, and never a live one', () => {
    // Pure arithmetic over the rule the room applies: checks every heartbeatMs, each dropping
    // peers silent for longer than silenceLimitMs.
    for (const [ttlMs, heartbeatMs] of [
      [8000, 2000],
      [2000, 500],
      [300, 100],
    ] as const) {
      const limit = silenceLimitMs(ttlMs, heartbeatMs);
      for (let phase = 0; phase < heartbeatMs; phase += heartbeatMs / 8) {
        const lastHeardMs = 1000 + phase;
        const table = new PresenceTable();
        table.setRemote('dead', entry('x'), lastHeardMs);
        let goneAtMs = Number.POSITIVE_INFINITY;
        for (let checkMs = 0; checkMs < lastHeardMs + 3 * ttlMs; checkMs += heartbeatMs) {
          if (table.expire(checkMs - limit).length > 0) {
            goneAtMs = checkMs;
            break;
          }
        }
        expect(goneAtMs - lastHeardMs).toBeLessThanOrEqual(ttlMs);
        // A live peer heartbeats every heartbeatMs; one late by less than ttl - 2 * heartbeat stays.
        expect(limit).toBeGreaterThan(heartbeatMs);
      }
    }
  });
});
