import { expect, it } from 'vitest';
import { Session, sessionBudgets } from './session.ts';

const budgets = sessionBudgets({
  rateLimit: { msgsPerS: 50, burst: 200, maxExcess: 100 },
  bulkRate: { kibPerS: 8192, burstKiB: 8192 },
  invalidMessageBudget: 20,
});

it('runs queued tasks in order, letting the event loop turn between two of them', async () => {
  const session = new Session(1, { mapId: 'm1', role: 'edit', exp: 1e12 }, budgets, 0);
  const order: string[] = [];
  // A task that finishes within its turn (as an embedded PGlite commit does) must not keep the
  // loop from serving what came meanwhile before the next task starts.
  const first = session.enqueue(async () => {
    order.push('first');
    setImmediate(() => order.push('other work'));
  });
  const second = session.enqueue(async () => {
    order.push('second');
  });
  expect(session.queued).toBe(2);
  await Promise.all([first, second]);
  expect(order).toEqual(['first', 'other work', 'second']);
  expect(session.queued).toBe(0);
});
