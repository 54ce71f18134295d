import type { LayerStatus } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { layerStatusText } from './status-text.ts';

const status = (patch: Partial<LayerStatus>): LayerStatus => ({
  layerId: 'quakes',
  state: 'pending',
  mode: null,
  detail: '',
  badSignatures: 0,
  entries: 0,
  at: 1,
  ...patch,
});

describe('layerStatusText', () => {
  it('says it is waiting before the server has said anything', () => {
    expect(layerStatusText(undefined)).toEqual({
      state: 'unknown',
      line: 'waiting for the server…',
      notes: [],
      detail: null,
    });
  });

  it("uses the server's words and counts entries", () => {
    const live = layerStatusText(
      status({ state: 'live', mode: 'websub', detail: 'live (WebSub via 127.0.0.1)', entries: 1 }),
    );
    expect(live).toEqual({
      state: 'live',
      line: 'live (WebSub via 127.0.0.1)',
      notes: ['1 entry'],
      detail: null,
    });
    const polling = layerStatusText(
      status({ state: 'polling', mode: 'poll', detail: 'polling every 60 s (no hub)', entries: 12 }),
    );
    expect(polling.line).toBe('polling every 60 s (no hub)');
    expect(polling.notes).toEqual(['12 entries']);
  });

  it('fills in when the detail is empty', () => {
    expect(layerStatusText(status({ state: 'pending' })).line).toBe('subscribing…');
    expect(layerStatusText(status({ state: 'live', mode: 'websub' })).line).toBe('live (WebSub)');
    expect(layerStatusText(status({ state: 'polling', mode: 'poll' })).line).toBe('polling');
    expect(layerStatusText(status({ state: 'error' })).line).toBe('error: unknown problem');
  });

  it('says low-level failures in words, with the raw text as the detail', () => {
    const dns = layerStatusText(
      status({ state: 'error', detail: 'feed unreachable: getaddrinfo ENOTFOUND earthquake.usgs.gov' }),
    );
    expect(dns.line).toBe('error: Could not reach earthquake.usgs.gov (feed unreachable)');
    expect(dns.detail).toBe('feed unreachable: getaddrinfo ENOTFOUND earthquake.usgs.gov');
  });

  it('marks errors as errors once, and reports bad signatures only when there are some', () => {
    const unreachable = layerStatusText(status({ state: 'error', detail: 'hub unreachable: not a feed' }));
    expect(unreachable.line).toBe('error: hub unreachable: not a feed');
    expect(unreachable.detail).toBeNull();
    expect(layerStatusText(status({ state: 'error', detail: 'Error: not a feed' })).line).toBe(
      'error: not a feed',
    );
    expect(unreachable.notes).toEqual(['0 entries']);
    const signed = layerStatusText(status({ state: 'live', badSignatures: 3, entries: 2 }));
    expect(signed.notes).toEqual(['2 entries', '3 deliveries with a bad signature ignored']);
    expect(layerStatusText(status({ state: 'live', badSignatures: 1 })).notes[1]).toBe(
      '1 delivery with a bad signature ignored',
    );
    // Said once, when the server's detail already says it.
    const said = layerStatusText(
      status({
        state: 'live',
        badSignatures: 1,
        detail: 'live (WebSub via hub.example); 1 delivery with a bad signature ignored',
      }),
    );
    expect(said.notes).toEqual(['0 entries']);
  });
});
