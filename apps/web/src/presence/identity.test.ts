import { PERSON_PALETTE } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { checkDisplayName, colorFor, loadIdentity, saveIdentity } from './identity.ts';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
  };
}

describe('identity', () => {
  it('asks maps for the same colour every time, from the palette maps assign', () => {
    expect(colorFor('device-1')).toBe(colorFor('device-1'));
    expect(PERSON_PALETTE).toContain(colorFor('device-1'));
    const colours = new Set(Array.from({ length: 50 }, (_, i) => colorFor(`d${i}`)));
    expect(colours.size).toBeGreaterThan(5);
  });

  it('round-trips through storage and ignores damaged entries', () => {
    const storage = memoryStorage();
    expect(loadIdentity(storage)).toBeUndefined();
    const saved = saveIdentity(storage, 'Ada', 'dev-1');
    expect(loadIdentity(storage)).toEqual(saved);
    storage.setItem('meridian.identity', '{"name":"","deviceId":"x"}');
    expect(loadIdentity(storage)).toBeUndefined();
    // A person id the protocol would refuse: asked again rather than sent.
    storage.setItem('meridian.identity', '{"name":"Ada","deviceId":"has spaces"}');
    expect(loadIdentity(storage)).toBeUndefined();
    storage.setItem('meridian.identity', 'not json');
    expect(loadIdentity(storage)).toBeUndefined();
  });

  it('checks names as the protocol does', () => {
    expect(checkDisplayName('  Bo ')).toEqual({ ok: true, name: 'Bo' });
    expect(checkDisplayName('   ').ok).toBe(false);
    expect(checkDisplayName('x'.repeat(81)).ok).toBe(false);
  });
});
