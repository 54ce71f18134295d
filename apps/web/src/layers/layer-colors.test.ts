import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_COLOR } from '../features/render-features.ts';
import { PRESENCE_COLORS } from '../presence/identity.ts';
import { changedLayerColors, LAYER_PALETTE, layerColors } from './layer-colors.ts';

const layer = (id: string) => ({
  id,
  kind: 'feed' as const,
  url: `https://example.org/${id}.atom`,
  name: id,
});

describe('layerColors', () => {
  it('never uses a presence colour or the default marker colour', () => {
    const others = new Set<string>([...PRESENCE_COLORS, DEFAULT_FEATURE_COLOR]);
    for (const color of LAYER_PALETTE) expect(others.has(color), color).toBe(false);
    expect(new Set(LAYER_PALETTE).size).toBe(LAYER_PALETTE.length);
  });

  it('gives every layer a distinct colour while the palette lasts, the same for everyone', () => {
    const layers = Array.from({ length: LAYER_PALETTE.length }, (_, i) => layer(`l-${i}`));
    const colors = layerColors(layers);
    expect(new Set(colors.values()).size).toBe(LAYER_PALETTE.length);
    expect(layerColors(layers)).toEqual(colors);
    // Past the palette, colours repeat rather than fail.
    expect(layerColors([...layers, layer('one-more')]).get('one-more')).toMatch(/^#[0-9a-f]{6}$/);
  });

  it("keeps a layer's colour when an unrelated layer comes or goes", () => {
    const a = layer('a');
    const alone = layerColors([a]);
    for (const id of ['b', 'c', 'd', 'e']) {
      const withOther = layerColors([a, layer(id)]);
      expect(withOther.get('a')).toBe(alone.get('a'));
    }
  });

  it('lists what changed between two assignments', () => {
    const before = layerColors([layer('a'), layer('b')]);
    const after = layerColors([layer('a'), layer('c')]);
    expect(changedLayerColors(before, after).sort()).toEqual(['b', 'c']);
    expect(changedLayerColors(before, before)).toEqual([]);
  });
});
