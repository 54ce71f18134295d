import { applyOp, createMapState, type Op } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { Editor } from './editor.ts';

function fakeClient() {
  const state = createMapState('Map');
  const sent: Op[] = [];
  return {
    sent,
    client: {
      submit: (op: Op) => {
        sent.push(op);
        // The client's optimistic view shows the op at once.
        applyOp(state, op);
        return 'o';
      },
      mapName: state.name,
      features: state.features,
      layers: state.layers,
    },
    state,
  };
}

const point = { type: 'Point' as const, coordinates: [1, 2] as [number, number] };

describe('Editor', () => {
  it('sends a single edit at once', () => {
    const { client, sent } = fakeClient();
    const editor = new Editor(client);
    const id = editor.create(point, { title: 'A' });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.kind === 'feature.create' && sent[0].feature.id).toBe(id);
    expect(editor.canUndo).toBe(true);
  });

  it('submits a large import as bulk chunks, in order, undone as one step (the client paces sending)', () => {
    const { client, sent, state } = fakeClient();
    const editor = new Editor(client);
    const ids = editor.importFeatures(
      Array.from({ length: 5000 }, () => ({ geometry: point, properties: { title: 'A place' } })),
    );
    expect(ids).toHaveLength(5000);
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.every((op) => op.kind === 'features.import')).toBe(true);
    expect(sent.flatMap((op) => (op.kind === 'features.import' ? op.features.map((f) => f.id) : []))).toEqual(
      ids,
    );
    expect(state.features.size).toBe(5000);
    const chunks = sent.length;
    expect(editor.undo()).toBe(true);
    const undo = sent.slice(chunks);
    expect(undo.every((op) => op.kind === 'features.delete')).toBe(true);
    expect(new Set(undo.flatMap((op) => (op.kind === 'features.delete' ? op.ids : [])))).toEqual(
      new Set(ids),
    );
    expect(state.features.size).toBe(0);
    expect(editor.canUndo).toBe(false);
  });

  it('never edits, moves or deletes a feed entry, and does not record such an edit for undo', () => {
    const { client, sent, state } = fakeClient();
    const editor = new Editor(client);
    const layerId = editor.addLayer('https://example.org/quakes.atom', 'Quakes');
    applyOp(state, {
      kind: 'layer.entries',
      layerId,
      features: [{ type: 'Feature', id: 'q-1', geometry: point, properties: { title: 'M5' }, version: 0 }],
    });
    const before = sent.length;
    editor.update('q-1', { title: 'mine now' });
    editor.move('q-1', { type: 'Point', coordinates: [3, 4] });
    editor.remove('q-1');
    expect(sent).toHaveLength(before);
    expect(state.features.get('q-1')?.properties.title).toBe('M5');
    // Undo takes back the layer add (the last thing this person did), entries and all.
    expect(editor.undo()).toBe(true);
    expect(sent.at(-1)).toEqual({ kind: 'layer.remove', id: layerId });
    expect(state.layers.size).toBe(0);
    expect(state.features.size).toBe(0);
    // Redo adds the feed again under a fresh layer id (ids are never reused on a map).
    expect(editor.redo()).toBe(true);
    const readded = sent.at(-1);
    expect(readded?.kind === 'layer.add' && readded.layer).toMatchObject({
      url: 'https://example.org/quakes.atom',
      name: 'Quakes',
    });
    expect(readded?.kind === 'layer.add' && readded.layer.id).not.toBe(layerId);
  });
});
