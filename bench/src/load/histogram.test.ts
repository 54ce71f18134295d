import { describe, expect, it } from 'vitest';
import { bucketOf, bucketValueUs, LatencyHistogram } from './histogram.ts';

describe('LatencyHistogram', () => {
  it('keeps every value within 3 % of where it was recorded', () => {
    for (const v of [0, 1, 63, 64, 65, 100, 1_000, 12_345, 99_999, 1_000_000, 60_000_000]) {
      const back = bucketValueUs(bucketOf(v));
      expect(Math.abs(back - v)).toBeLessThanOrEqual(Math.max(0.5, v * 0.03));
    }
  });

  it('numbers buckets in increasing order of value', () => {
    let previous = -1;
    for (let v = 0; v < 5_000_000; v = Math.floor(v * 1.01) + 1) {
      const bucket = bucketOf(v);
      expect(bucket).toBeGreaterThanOrEqual(previous);
      previous = bucket;
    }
  });

  it('reports quantiles of a known distribution', () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 10_000; v++) h.record(v);
    expect(h.quantileUs(0.5)).toBeGreaterThan(4_850);
    expect(h.quantileUs(0.5)).toBeLessThan(5_150);
    expect(h.quantileUs(0.99)).toBeGreaterThan(9_600);
    expect(h.quantileUs(0.999)).toBeLessThanOrEqual(10_000);
    expect(h.quantileUs(1)).toBe(10_000);
  });

  it('adds histograms from several workers', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.record(10);
    b.record(1_000);
    b.record(2_000);
    const merged = new LatencyHistogram(a.snapshot());
    merged.add(new LatencyHistogram(b.snapshot()));
    expect(merged.total).toBe(3);
    expect(merged.quantileUs(0.34)).toBeGreaterThan(900);
  });

  it('has no quantile when empty', () => {
    expect(new LatencyHistogram().quantileUs(0.5)).toBeNaN();
  });
});
