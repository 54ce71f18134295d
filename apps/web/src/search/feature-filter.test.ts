import type { Feature } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { ANY_FIELD, filterFeatures } from './feature-filter.ts';

const feature = (id: string, properties: Feature['properties']): Feature => ({
  type: 'Feature',
  id,
  geometry: { type: 'Point', coordinates: [0, 0] },
  properties,
  version: 1,
});

/** 100,000 addresses, as a spreadsheet import brings them. */
const addresses = new Map<string, Feature>();
for (let i = 0; i < 100_000; i++)
  addresses.set(
    `a${i}`,
    feature(`a${i}`, {
      title: `Address ${i}`,
      street: `${i % 300} Rue ${i % 7 === 0 ? 'Lafayette' : 'Oberkampf'}`,
      zip: `750${String(i % 20).padStart(2, '0')}`,
      households: i % 50,
      'marker-color': '#ff0000',
    }),
  );

describe('filterFeatures', () => {
  it('lists every feature, newest first, when there is no query', () => {
    const all = filterFeatures(addresses, '  ', ANY_FIELD);
    expect(all).toHaveLength(100_000);
    expect(all[0]?.id).toBe('a99999');
    expect(all.at(-1)?.id).toBe('a0');
  });

  it('finds a feature among 100,000 by a property value, number or text', () => {
    expect(filterFeatures(addresses, 'address 4242', ANY_FIELD)[0]?.id).toBe('a4242');
    const lafayette = filterFeatures(addresses, 'lafayette', ANY_FIELD);
    expect(lafayette).toHaveLength(Math.ceil(100_000 / 7));
    expect(lafayette.every((f) => String(f.properties.street).includes('Lafayette'))).toBe(true);
  });

  it('filters by one property when a field is chosen', () => {
    // "49" in any field matches titles and streets too; in households, only the value 49.
    const inHouseholds = filterFeatures(addresses, '49', 'households');
    expect(inHouseholds).toHaveLength(2000);
    expect(inHouseholds.every((f) => f.properties.households === 49)).toBe(true);
    expect(filterFeatures(addresses, '49', ANY_FIELD).length).toBeGreaterThan(2000);
    expect(filterFeatures(addresses, '75019', 'zip')).toHaveLength(5000);
    expect(filterFeatures(addresses, 'lafayette', 'zip')).toHaveLength(0);
  });

  it('never matches on style keys', () => {
    expect(filterFeatures(addresses, '#ff0000', ANY_FIELD)).toHaveLength(0);
  });
});
