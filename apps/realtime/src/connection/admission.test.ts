import { type ClientMessage, ErrorCode } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { BULK_OP_OVERHEAD_KIB, bulkCostKiB, isBulkOp, syncCost } from './admission.ts';
import { Admission } from './admission-ledger.ts';
import { MAX_QUEUED_TASKS, Session, sessionBudgets } from './session.ts';

const budgets = sessionBudgets({
  rateLimit: { msgsPerS: 50, burst: 200, maxExcess: 100 },
  bulkRate: { kibPerS: 8192, burstKiB: 8192 },
  invalidMessageBudget: 20,
});
const session = (id: number) => new Session(id, { mapId: 'm1', role: 'edit', exp: 1e12 }, budgets, 0);

describe('Admission', () => {
  it('bounds the ops in flight on one connection and frees a slot when one is answered', () => {
    const admission = new Admission({ maxInflightOps: 3, maxMapQueuedOps: 100 });
    const alice = session(1);
    const ops = [1, 2, 3].map((i) => admission.accept(alice, 'm1', `o-${i}`));
    expect(alice.opsInFlight).toBe(3);
    const refused = admission.refusal(alice, 'm1');
    expect(refused).toMatchObject({ code: ErrorCode.OVERLOADED });
    expect(refused?.retryAfterMs).toBeGreaterThan(0);
    // Another connection is not held back by Alice's queue.
    expect(admission.refusal(session(2), 'm1')).toBeNull();
    admission.release(alice, ops[0] as (typeof ops)[number]);
    // Released twice (answered, then its socket closed) still counts once.
    admission.release(alice, ops[0] as (typeof ops)[number]);
    expect(alice.opsInFlight).toBe(2);
    expect(admission.queuedOn('m1')).toBe(2);
    expect(admission.refusal(alice, 'm1')).toBeNull();
  });

  it('bounds the ops queued for one map across connections', () => {
    const admission = new Admission({ maxInflightOps: 10, maxMapQueuedOps: 4 });
    const sessions = [session(1), session(2), session(3), session(4)];
    const accepted = sessions.map((s, i) => admission.accept(s, 'busy', `o-${i}`));
    const fifth = session(5);
    expect(admission.refusal(fifth, 'busy')).toMatchObject({ code: ErrorCode.OVERLOADED });
    expect(admission.refusal(fifth, 'quiet')).toBeNull();
    admission.release(sessions[0] as Session, accepted[0] as (typeof accepted)[number]);
    expect(admission.refusal(fifth, 'busy')).toBeNull();
  });

  it('abandons only the ops whose commit has not started', () => {
    const admission = new Admission({ maxInflightOps: 10, maxMapQueuedOps: 10 });
    const alice = session(1);
    const [first, second, third] = [1, 2, 3].map((i) => admission.accept(alice, 'm1', `o-${i}`));
    expect(alice.startOp(first as NonNullable<typeof first>)).toBe(true);
    const abandoned = admission.abandonQueued(alice);
    expect(abandoned.map((op) => op.opId)).toEqual(['o-2', 'o-3']);
    // Their tasks see they must not run.
    expect(alice.startOp(second as NonNullable<typeof second>)).toBe(false);
    expect(alice.startOp(third as NonNullable<typeof third>)).toBe(false);
    expect(alice.opsInFlight).toBe(1);
    expect(admission.queuedOn('m1')).toBe(1);
  });

  it('refuses an op on a connection whose task queue is full', () => {
    const admission = new Admission({ maxInflightOps: 10_000, maxMapQueuedOps: 10_000 });
    const alice = session(1);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (let i = 0; i < MAX_QUEUED_TASKS; i++) void alice.enqueue(() => gate);
    expect(admission.refusal(alice, 'm1')).toMatchObject({ code: ErrorCode.OVERLOADED });
    release();
  });

  it('retries after longer when more is queued, within bounds', () => {
    const admission = new Admission({ maxInflightOps: 10, maxMapQueuedOps: 10 });
    for (let i = 0; i < 50; i++) admission.recordCommit(10);
    const few = admission.retryAfterMs(2);
    const many = admission.retryAfterMs(200);
    expect(many).toBeGreaterThan(few);
    expect(few).toBeGreaterThanOrEqual(100);
    expect(admission.retryAfterMs(1_000_000)).toBeLessThanOrEqual(10_000);
  });
});

describe('message weights', () => {
  it('charges a sync by its range', () => {
    const sync = (fromSeq: number, toSeq: number) => syncCost({ type: 'sync', mapId: 'm1', fromSeq, toSeq });
    expect(sync(1, 1)).toBe(2);
    expect(sync(1, 1000)).toBe(21);
    // The server answers at most MAX_SYNC_RANGE ops, so a wider ask costs no more.
    expect(sync(1, 1_000_000)).toBe(21);
  });

  it('charges bulk ops by size to a budget apart from the message rate', () => {
    const importOp: ClientMessage = {
      type: 'op',
      mapId: 'm1',
      opId: 'o-1',
      op: { kind: 'features.import', features: [] },
    };
    const move: ClientMessage = {
      type: 'op',
      mapId: 'm1',
      opId: 'o-2',
      op: { kind: 'feature.move', id: 'f1', geometry: { type: 'Point', coordinates: [0, 0] } },
    };
    expect(isBulkOp(importOp)).toBe(true);
    expect(isBulkOp(move)).toBe(false);
    expect(bulkCostKiB(64 * 1024)).toBe(64 + BULK_OP_OVERHEAD_KIB);
    const small = sessionBudgets({
      rateLimit: { msgsPerS: 1, burst: 1, maxExcess: 1 },
      bulkRate: { kibPerS: 160, burstKiB: 160 },
      invalidMessageBudget: 1,
    });
    const alice = new Session(1, { mapId: 'm1', role: 'edit', exp: 1e12 }, small, 0);
    // Two full chunks fit the bulk burst, the third waits for its refill...
    expect(alice.takeBulk(0, bulkCostKiB(64 * 1024))).toBe(true);
    expect(alice.takeBulk(0, bulkCostKiB(64 * 1024))).toBe(true);
    expect(alice.takeBulk(0, bulkCostKiB(64 * 1024))).toBe(false);
    expect(alice.bulkWaitMs(0, bulkCostKiB(64 * 1024))).toBe(500);
    // ...while the message budget for single edits is untouched.
    expect(alice.takeMessage(0, 1)).toBe(true);
    expect(alice.takeBulk(500, bulkCostKiB(64 * 1024))).toBe(true);
  });
});
