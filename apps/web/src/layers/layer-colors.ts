import type { Layer } from '@meridian/protocol';

/**
 * Colours for live-feed layers: none is in the presence palette or the default feature blue, so a
 * feed's entries never look like someone's marker.
 */
export const LAYER_PALETTE = [
  '#0f766e',
  '#b45309',
  '#7c3aed',
  '#be123c',
  '#3f6212',
  '#0369a1',
  '#a21caf',
  '#57534e',
] as const;

function hashOf(id: string): number {
  let hash = 2166136261;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619);
  return hash >>> 0;
}

/**
 * Each layer's colour. A layer's colour comes from its id, so it stays the same for everyone and
 * across reloads; when two layers want the same one, the later-added layer takes the next free
 * colour (distinct for up to `LAYER_PALETTE.length` layers), so removing a layer recolours at
 * most the layers that had collided with it.
 */
export function layerColors(layers: Iterable<Layer>): Map<string, string> {
  const colors = new Map<string, string>();
  const taken = new Set<number>();
  for (const layer of layers) {
    let slot = hashOf(layer.id) % LAYER_PALETTE.length;
    if (taken.size < LAYER_PALETTE.length) while (taken.has(slot)) slot = (slot + 1) % LAYER_PALETTE.length;
    taken.add(slot);
    colors.set(layer.id, LAYER_PALETTE[slot] as string);
  }
  return colors;
}

/** Colours of layers that are new or different between two assignments (what must be redrawn). */
export function changedLayerColors(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): string[] {
  const changed: string[] = [];
  for (const [id, color] of after) if (before.get(id) !== color) changed.push(id);
  for (const id of before.keys()) if (!after.has(id)) changed.push(id);
  return changed;
}
