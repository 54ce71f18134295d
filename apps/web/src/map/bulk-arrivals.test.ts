import { describe, expect, it } from 'vitest';
import { BULK_QUIET_MS, BULK_STALL_MS, BulkArrivals } from './bulk-arrivals.ts';

function arrivals() {
  let now = 0;
  const bulk = new BulkArrivals(() => now);
  return { bulk, advance: (ms: number) => (now += ms) };
}

describe('BulkArrivals', () => {
  it('holds an import until all of its features are in, however slowly they come', () => {
    const { bulk, advance } = arrivals();
    const batch = { id: 'b1', total: 3_000 };
    expect(bulk.active).toBe(false);
    expect(bulk.arrived(1_000, batch, 'c-ada')).toBe(false);
    advance(BULK_STALL_MS - 1);
    expect(bulk.active).toBe(true);
    expect(bulk.arrived(1_000, batch, 'c-ada')).toBe(false);
    advance(BULK_STALL_MS - 1);
    expect(bulk.settlesInMs).toBe(1);
    expect(bulk.arrived(1_000, batch, 'c-ada')).toBe(true);
    expect(bulk.active).toBe(false);
  });

  it('counts each author’s batch apart, this person’s own included', () => {
    const { bulk } = arrivals();
    const batch = { id: 'same-id', total: 2_000 };
    expect(bulk.arrived(1_000, batch)).toBe(false);
    expect(bulk.arrived(1_000, batch, 'c-bo')).toBe(false);
    expect(bulk.arrived(1_000, batch)).toBe(false); // Bo's is still arriving
    expect(bulk.active).toBe(true);
    expect(bulk.arrived(1_000, batch, 'c-bo')).toBe(true);
  });

  it('lets go of an import cut short once none of it came for the stall time', () => {
    const { bulk, advance } = arrivals();
    bulk.arrived(1_000, { id: 'cut', total: 10_000 }, 'c-ada');
    advance(BULK_STALL_MS);
    expect(bulk.active).toBe(false);
    expect(bulk.arrived(10, { id: 'next', total: 10 }, 'c-ada')).toBe(true);
  });

  it('holds chunks without a batch (an undo’s deletes) while they keep coming', () => {
    const { bulk, advance } = arrivals();
    bulk.arrived(1_000);
    advance(BULK_QUIET_MS - 100);
    bulk.arrived(1_000);
    advance(BULK_QUIET_MS - 100);
    expect(bulk.settlesInMs).toBe(100);
    advance(100);
    expect(bulk.active).toBe(false);
  });
});
