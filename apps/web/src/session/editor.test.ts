import { applyOp, createMapState, type Op } from '@meridian/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Editor, OPS_BURST, OPS_PER_SECOND } from './editor.ts';

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
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends a single edit at once', () => {
    const { client, sent } = fakeClient();
    const editor = new Editor(client);
    const id = editor.create(point, { title: 'A' });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.kind === 'feature.create' && sent[0].feature.id).toBe(id);
    expect(editor.canUndo).toBe(true);
  });

  it('paces a large import, keeping the order, and records it as one undo step', () => {
    const { client, sent } = fakeClient();
    const editor = new Editor(client);
    const ids = editor.importFeatures(
      Array.from({ length: 100 }, () => ({ geometry: point, properties: {} })),
    );
    editor.update(ids[0] as string, { title: 'after import' });
    expect(sent).toHaveLength(OPS_BURST);
    expect(editor.queued).toBe(101 - OPS_BURST);
    vi.advanceTimersByTime(1000);
    expect(sent.length).toBeGreaterThanOrEqual(OPS_BURST + OPS_PER_SECOND - 1);
    expect(sent.length).toBeLessThanOrEqual(OPS_BURST + OPS_PER_SECOND + 1);
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(101);
    expect(sent.at(-1)?.kind).toBe('feature.update');
    expect(sent.slice(0, 100).map((op) => (op.kind === 'feature.create' ? op.feature.id : ''))).toEqual(ids);
    expect(editor.queued).toBe(0);
  });

  it('dispose drops what was not sent yet', () => {
    const { client, sent } = fakeClient();
    const editor = new Editor(client);
    editor.importFeatures(
      Array.from({ length: OPS_BURST + 10 }, () => ({ geometry: point, properties: {} })),
    );
    editor.dispose();
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(OPS_BURST);
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
