import { describe, expect, it } from 'vitest';
import { BULK_QUIET_MS, BulkArrivals } from './bulk-arrivals.ts';

function arrivals() {
  let now = 0;
  const bulk = new BulkArrivals(() => now);
  return { bulk, advance: (ms: number) => (now += ms) };
}

describe('BulkArrivals', () => {
  it('is active while chunks keep coming, and settles once none came for the quiet time', () => {
    const { bulk, advance } = arrivals();
    expect(bulk.active).toBe(false);
    expect(bulk.settlesInMs).toBe(0);
    bulk.arrived(1_000);
    advance(BULK_QUIET_MS - 100);
    expect(bulk.active).toBe(true);
    bulk.arrived(1_000);
    advance(BULK_QUIET_MS - 100);
    expect(bulk.active).toBe(true);
    expect(bulk.settlesInMs).toBe(100);
    advance(100);
    expect(bulk.active).toBe(false);
  });

  it("ends a remote batch as soon as all of its features are in, and only the author's own", () => {
    const { bulk } = arrivals();
    const batch = { id: 'b1', total: 2_500 };
    expect(bulk.arrived(1_000, batch, 'c-ada')).toBe(false);
    // The same batch id from someone else is another import.
    expect(bulk.arrived(1_000, batch, 'c-bo')).toBe(false);
    expect(bulk.arrived(1_000, batch, 'c-ada')).toBe(false);
    expect(bulk.arrived(500, batch, 'c-ada')).toBe(false); // Bo's is still arriving
    expect(bulk.active).toBe(true);
    expect(bulk.arrived(1_500, batch, 'c-bo')).toBe(true);
    expect(bulk.active).toBe(false);
  });

  it('forgets a remote batch cut short, so later ones still end when complete', () => {
    const { bulk, advance } = arrivals();
    bulk.arrived(1_000, { id: 'cut', total: 10_000 }, 'c-ada');
    advance(60_000);
    expect(bulk.arrived(10, { id: 'next', total: 10 }, 'c-ada')).toBe(true);
  });

  it("counts this person's own chunks (no author) as arriving, without a batch end", () => {
    const { bulk } = arrivals();
    expect(bulk.arrived(1_000, { id: 'mine', total: 1_000 })).toBe(false);
    expect(bulk.active).toBe(true);
  });
});
