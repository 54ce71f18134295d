import { createMapState, type Op } from '@meridian/protocol';
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
        return 'o';
      },
      mapName: state.name,
      features: state.features,
    },
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
});
