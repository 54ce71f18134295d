import { describe, expect, it } from 'vitest';
import { ConnectionStats, TopicLedger } from './connection-stats.ts';

describe('ConnectionStats with a TopicLedger', () => {
  it('counts only what a topic published while the connection was on it', () => {
    const ledger = new TopicLedger();
    const early = new ConnectionStats(0);
    const late = new ConnectionStats(0);
    ledger.subscribe(early, 'ops:m');
    ledger.published('ops:m', 10);
    ledger.subscribe(late, 'ops:m');
    ledger.published('ops:m', 20);
    expect(early.out()).toEqual({ messages: 2, bytes: 30 });
    expect(late.out()).toEqual({ messages: 1, bytes: 20 });
    ledger.unsubscribe(early, 'ops:m');
    ledger.published('ops:m', 5);
    expect(early.out()).toEqual({ messages: 2, bytes: 30 });
    expect(late.out()).toEqual({ messages: 2, bytes: 25 });
  });

  it('adds direct sends, subtracts publishes the connection sent itself, and forgets empty topics', () => {
    const ledger = new TopicLedger();
    const stats = new ConnectionStats(0);
    stats.sent(7);
    ledger.subscribe(stats, 'v:m');
    ledger.published('v:m', 3);
    ledger.published('v:m', 4);
    stats.skipped(4);
    expect(stats.out()).toEqual({ messages: 2, bytes: 10 });
    ledger.unsubscribe(stats, 'v:m');
    expect(ledger.size).toBe(0);
    ledger.published('v:m', 100);
    expect(stats.out()).toEqual({ messages: 2, bytes: 10 });
  });

  it('counts incoming messages', () => {
    const stats = new ConnectionStats(0);
    stats.received(12);
    stats.received(3);
    expect(stats.in).toEqual({ messages: 2, bytes: 15 });
  });
});
