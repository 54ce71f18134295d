import { applyOp, createMapState, type Feature, type MapState, type Op } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { inverseOf, UndoHistory } from './undo-history.ts';

const marker = (id: string, title?: string): Feature => ({
  type: 'Feature',
  id,
  geometry: { type: 'Point', coordinates: [1, 2] },
  properties: title ? { title } : {},
  version: 0,
});

/** A tiny stand-in for the client: edits are recorded, then applied (as the optimistic view does). */
function session() {
  let counter = 0;
  let layers = 0;
  const history = new UndoHistory(
    () => `new-${++counter}`,
    () => `layer-${++layers}`,
  );
  const state: MapState = createMapState('Trip');
  const apply = (ops: Op[]) => {
    for (const op of ops) expect(applyOp(state, op).ok).toBe(true);
  };
  return {
    state,
    history,
    edit(ops: Op[], coalesceKey?: string) {
      history.record(ops, state, coalesceKey);
      apply(ops);
    },
    undo() {
      apply(history.undo(state));
    },
    redo() {
      apply(history.redo(state));
    },
  };
}

describe('UndoHistory', () => {
  it('undoes and redoes a property edit field by field', () => {
    const s = session();
    s.edit([{ kind: 'feature.create', feature: marker('a', 'Old') }]);
    s.edit([{ kind: 'feature.update', id: 'a', properties: { title: 'New', color: '#ff0000' } }]);
    s.undo();
    expect(s.state.features.get('a')?.properties).toEqual({ title: 'Old' });
    s.redo();
    expect(s.state.features.get('a')?.properties).toEqual({ title: 'New', color: '#ff0000' });
  });

  it('makes one undo step of a slider drag (same coalescing key), restoring what was before it', () => {
    const s = session();
    s.edit([{ kind: 'feature.create', feature: { ...marker('a'), properties: { 'stroke-width': 2 } } }]);
    s.edit([{ kind: 'feature.create', feature: marker('b') }]);
    const width = (w: number): Op[] => [
      { kind: 'feature.update', id: 'a', properties: { 'stroke-width': w } },
      { kind: 'feature.update', id: 'b', properties: { 'stroke-width': w } },
    ];
    for (const w of [3, 5, 8]) s.edit(width(w), 'drag-1');
    s.edit([{ kind: 'feature.update', id: 'a', properties: { 'stroke-opacity': 0.5 } }], 'drag-1');
    s.undo();
    expect(s.state.features.get('a')?.properties).toEqual({ 'stroke-width': 2 });
    expect(s.state.features.get('b')?.properties).toEqual({});
    s.redo();
    expect(s.state.features.get('a')?.properties).toEqual({ 'stroke-width': 8, 'stroke-opacity': 0.5 });
    // The step before the drag is still there, and another drag is its own step.
    s.edit(width(1), 'drag-2');
    s.edit(width(4), 'drag-3');
    s.undo();
    expect(s.state.features.get('a')?.properties['stroke-width']).toBe(1);
  });

  it('does not coalesce across an undo, nor edits without a key', () => {
    const s = session();
    s.edit([{ kind: 'feature.create', feature: marker('a', 'One') }]);
    s.edit([{ kind: 'feature.update', id: 'a', properties: { title: 'Two' } }]);
    s.edit([{ kind: 'feature.update', id: 'a', properties: { title: 'Three' } }]);
    s.undo();
    expect(s.state.features.get('a')?.properties.title).toBe('Two');
    s.edit([{ kind: 'feature.update', id: 'a', properties: { 'fill-opacity': 0.1 } }], 'k');
    s.undo();
    s.edit([{ kind: 'feature.update', id: 'a', properties: { 'fill-opacity': 0.9 } }], 'k');
    s.undo();
    expect(s.state.features.get('a')?.properties).toEqual({ title: 'Two' });
    s.undo();
    expect(s.state.features.get('a')?.properties.title).toBe('One');
  });

  it('undoes a move back to the old geometry', () => {
    const s = session();
    s.edit([{ kind: 'feature.create', feature: marker('a') }]);
    s.edit([{ kind: 'feature.move', id: 'a', geometry: { type: 'Point', coordinates: [9, 9] } }]);
    s.undo();
    expect(s.state.features.get('a')?.geometry).toEqual({ type: 'Point', coordinates: [1, 2] });
  });

  it('re-creates a deleted feature under a fresh id and keeps following it', () => {
    const s = session();
    s.edit([{ kind: 'feature.create', feature: marker('a', 'Kept') }]);
    s.edit([{ kind: 'feature.move', id: 'a', geometry: { type: 'Point', coordinates: [5, 5] } }]);
    s.edit([{ kind: 'feature.delete', id: 'a' }]);
    s.undo();
    expect([...s.state.features.keys()]).toEqual(['new-1']);
    expect(s.state.features.get('new-1')?.properties.title).toBe('Kept');
    // The move before the delete now applies to the re-created feature.
    s.undo();
    expect(s.state.features.get('new-1')?.geometry).toEqual({ type: 'Point', coordinates: [1, 2] });
    s.undo();
    expect(s.state.features.size).toBe(0);
    expect(s.history.canUndo).toBe(false);
    s.redo();
    expect([...s.state.features.keys()]).toEqual(['new-2']);
  });

  it('undoes a group (an import) as one step, and renames', () => {
    const s = session();
    s.edit([
      { kind: 'feature.create', feature: marker('a') },
      { kind: 'feature.create', feature: marker('b') },
    ]);
    s.edit([{ kind: 'map.rename', name: 'Holiday' }]);
    s.undo();
    expect(s.state.name).toBe('Trip');
    s.undo();
    expect(s.state.features.size).toBe(0);
  });

  it('a new edit clears redo, and an edit others deleted is skipped', () => {
    const s = session();
    s.edit([{ kind: 'feature.create', feature: marker('a') }]);
    s.edit([{ kind: 'feature.create', feature: marker('b') }]);
    s.undo();
    s.edit([{ kind: 'feature.update', id: 'a', properties: { title: 'x' } }]);
    expect(s.history.canRedo).toBe(false);
    // Someone else deletes "a": neither the title edit nor the create of "a" can be undone any more.
    applyOp(s.state, { kind: 'feature.delete', id: 'a' });
    expect(s.history.undo(s.state)).toEqual([]);
    expect(s.history.canUndo).toBe(false);
  });

  describe('live-feed layers', () => {
    const quakes = {
      id: 'quakes',
      kind: 'feed' as const,
      url: 'https://example.org/quakes.atom',
      name: 'Quakes',
    };
    const entries = (layerId: string): Op => ({
      kind: 'layer.entries',
      layerId,
      features: [marker('q-1', 'M5 near Lyon')],
    });

    it('undoes adding a layer by removing it (entries too), and redoes it under a fresh id', () => {
      const s = session();
      s.edit([{ kind: 'layer.add', layer: quakes }]);
      applyOp(s.state, entries('quakes'));
      s.undo();
      expect(s.state.layers.size).toBe(0);
      expect(s.state.features.size).toBe(0);
      s.redo();
      expect([...s.state.layers.values()]).toEqual([{ ...quakes, id: 'layer-1' }]);
    });

    it('undoes removing a layer by adding it back under a fresh id, and follows that id', () => {
      const s = session();
      applyOp(s.state, { kind: 'layer.add', layer: quakes });
      s.edit([{ kind: 'layer.remove', id: 'quakes' }]);
      s.undo();
      expect([...s.state.layers.values()]).toEqual([{ ...quakes, id: 'layer-1' }]);
      // Redo removes the layer that came back, not the old id.
      s.redo();
      expect(s.state.layers.size).toBe(0);
    });

    it("skips a layer op that someone else's op made impossible", () => {
      const s = session();
      s.edit([{ kind: 'feature.create', feature: marker('a') }]);
      s.edit([{ kind: 'layer.add', layer: quakes }]);
      // Someone else removes the layer: undo has nothing to do for it and undoes the marker instead.
      applyOp(s.state, { kind: 'layer.remove', id: 'quakes' });
      expect(s.history.undo(s.state)).toEqual([{ kind: 'feature.delete', id: 'a' }]);
    });

    it('never records feed entries, nor edits of them', () => {
      const s = session();
      applyOp(s.state, { kind: 'layer.add', layer: quakes });
      s.history.record([entries('quakes')], s.state);
      applyOp(s.state, entries('quakes'));
      s.history.record([{ kind: 'feature.update', id: 'q-1', properties: { title: 'x' } }], s.state);
      s.history.record([{ kind: 'feature.delete', id: 'q-1' }], s.state);
      expect(s.history.canUndo).toBe(false);
      expect(inverseOf([entries('quakes')], s.state)).toEqual([]);
    });
  });
});

describe('undo of a bulk import', () => {
  it('removes a whole import in one step, and redo brings it back under fresh ids', () => {
    const s = session();
    s.edit([{ kind: 'feature.create', feature: marker('mine') }]);
    const imported = Array.from({ length: 30 }, (_, i) => marker(`imp-${i}`, `Row ${i}`));
    s.edit([
      { kind: 'features.import', features: imported.slice(0, 20) },
      { kind: 'features.import', features: imported.slice(20) },
    ]);
    expect(s.state.features.size).toBe(31);
    expect(inverseOf([{ kind: 'features.import', features: imported }], createMapState('x'))).toEqual([
      { kind: 'features.delete', ids: imported.map((f) => f.id) },
    ]);
    s.undo();
    expect([...s.state.features.keys()]).toEqual(['mine']);
    s.redo();
    expect(s.state.features.size).toBe(31);
    expect(s.state.features.has('imp-0')).toBe(false);
    expect([...s.state.features.values()].filter((f) => f.properties.title?.startsWith('Row')).length).toBe(
      30,
    );
    s.undo();
    expect([...s.state.features.keys()]).toEqual(['mine']);
  });
});

describe('undo of user layer edits', () => {
  const stops = { id: 'stops', kind: 'user' as const, name: 'Stops', order: 1, style: {} };

  it('brings a deleted user layer back with its features (fresh ids, in the new layer), and redo deletes them again', () => {
    const s = session();
    s.edit([{ kind: 'layer.add', layer: stops }]);
    s.edit([
      {
        kind: 'feature.create',
        feature: { ...marker('a', 'A'), properties: { title: 'A', layer: 'stops' } },
      },
    ]);
    s.edit([{ kind: 'feature.create', feature: marker('b', 'outside') }]);
    s.edit([{ kind: 'layer.remove', id: 'stops' }]);
    expect([...s.state.features.keys()]).toEqual(['b']);
    s.undo();
    const [layer] = [...s.state.layers.values()];
    expect(layer).toEqual({ ...stops, id: 'layer-1' });
    const back = [...s.state.features.values()].find((f) => f.properties.title === 'A');
    expect(back?.properties.layer).toBe('layer-1');
    expect(back?.id).not.toBe('a');
    s.redo();
    expect(s.state.layers.size).toBe(0);
    expect([...s.state.features.keys()]).toEqual(['b']);
  });

  it('undoes a rename, restyle or reorder by restoring what changed', () => {
    const s = session();
    applyOp(s.state, { kind: 'layer.add', layer: stops });
    s.edit([{ kind: 'layer.update', id: 'stops', name: 'Halts', style: { fill: '#0a0' } }]);
    s.edit([{ kind: 'layer.update', id: 'stops', order: 9 }]);
    s.undo();
    expect(s.state.layers.get('stops')).toEqual({ ...stops, name: 'Halts', style: { fill: '#0a0' } });
    s.undo();
    expect(s.state.layers.get('stops')).toEqual(stops);
  });

  it('undoes moving a feature between layers, and follows a layer that came back under a new id', () => {
    const s = session();
    s.edit([{ kind: 'layer.add', layer: stops }]);
    s.edit([{ kind: 'feature.create', feature: marker('a') }]);
    s.edit([{ kind: 'feature.update', id: 'a', properties: { layer: 'stops' } }]);
    expect(s.state.features.get('a')?.properties.layer).toBe('stops');
    s.undo();
    expect(s.state.features.get('a')?.properties.layer).toBeUndefined();
    s.undo();
    s.undo();
    expect(s.state.layers.size).toBe(0);
    s.redo();
    s.redo();
    s.redo();
    const [layer] = [...s.state.layers.keys()];
    const [feature] = [...s.state.features.values()];
    expect(feature?.properties.layer).toBe(layer);
  });

  it('records edits of user-layer features (they are people’s, not a feed’s)', () => {
    const s = session();
    applyOp(s.state, { kind: 'layer.add', layer: stops });
    applyOp(s.state, { kind: 'feature.create', feature: { ...marker('a'), properties: { layer: 'stops' } } });
    s.edit([{ kind: 'feature.update', id: 'a', properties: { title: 'Named' } }]);
    expect(s.history.canUndo).toBe(true);
  });
});
