import { describe, expect, it } from 'vitest';
import { PresenceThrottle } from './presence-throttle.ts';

const INTERVAL_MS = 50;

describe('PresenceThrottle', () => {
  it('sends a quiet sender’s change at once (leading edge)', () => {
    const throttle = new PresenceThrottle<string>(INTERVAL_MS);
    expect(throttle.offer('a', 1000)).toBe(true);
    expect(throttle.nextDueMs()).toBeNull();
    // A whole interval later the sender is quiet again: no delay either.
    expect(throttle.offer('a', 1050)).toBe(true);
    expect(throttle.offer('a', 1200)).toBe(true);
    expect(throttle.nextDueMs()).toBeNull();
  });

  it('holds changes within the interval and releases one when it ends (latest wins)', () => {
    const throttle = new PresenceThrottle<string>(INTERVAL_MS);
    expect(throttle.offer('a', 1000)).toBe(true);
    expect(throttle.offer('a', 1010)).toBe(false);
    expect(throttle.offer('a', 1020)).toBe(false);
    expect(throttle.offer('a', 1049)).toBe(false);
    expect(throttle.nextDueMs()).toBe(1050);
    expect(throttle.takeDue(1049)).toEqual([]);
    expect(throttle.takeDue(1050)).toEqual(['a']);
    expect(throttle.nextDueMs()).toBeNull();
    // The trailing send counts as a send: the next change within its interval waits again.
    expect(throttle.offer('a', 1060)).toBe(false);
    expect(throttle.nextDueMs()).toBe(1100);
  });

  it('conflates a storm to at most one message per sender per interval', () => {
    const throttle = new PresenceThrottle<string>(INTERVAL_MS);
    const sentAt: number[] = [];
    // A cursor moving every 5 ms for one second, with the room's timer firing when told to.
    let timerAt: number | null = null;
    for (let now = 0; now <= 1000; now++) {
      if (timerAt !== null && now >= timerAt) {
        sentAt.push(...throttle.takeDue(now).map(() => now));
        timerAt = throttle.nextDueMs();
      }
      if (now % 5 === 0) {
        if (throttle.offer('a', now)) sentAt.push(now);
        else timerAt ??= throttle.nextDueMs();
      }
    }
    expect(sentAt[0]).toBe(0);
    for (let i = 1; i < sentAt.length; i++)
      expect((sentAt[i] ?? 0) - (sentAt[i - 1] ?? 0)).toBeGreaterThanOrEqual(INTERVAL_MS);
    expect(sentAt.length).toBe(21);
  });

  it('paces each sender on its own interval', () => {
    const throttle = new PresenceThrottle<string>(INTERVAL_MS);
    expect(throttle.offer('a', 1000)).toBe(true);
    expect(throttle.offer('b', 1030)).toBe(true);
    expect(throttle.offer('a', 1031)).toBe(false);
    expect(throttle.offer('b', 1032)).toBe(false);
    expect(throttle.nextDueMs()).toBe(1050);
    expect(throttle.takeDue(1050)).toEqual(['a']);
    expect(throttle.nextDueMs()).toBe(1080);
    expect(throttle.takeDue(1080)).toEqual(['b']);
  });

  it('forgets a sender that left, and prunes records of quiet senders', () => {
    const throttle = new PresenceThrottle<string>(INTERVAL_MS);
    throttle.offer('a', 1000);
    throttle.offer('a', 1010);
    throttle.offer('b', 1000);
    throttle.forget('a');
    expect(throttle.nextDueMs()).toBeNull();
    expect(throttle.offer('a', 1020)).toBe(true);
    expect(throttle.tracked).toBe(2);
    expect(throttle.takeDue(2000)).toEqual([]);
    expect(throttle.tracked).toBe(0);
  });
});
