import { describe, expect, it } from 'vitest';
import { connectionText } from './connection-text.ts';

const none = { pending: 0, retryAt: null };

describe('connectionText', () => {
  it('says connected, and how many changes are still being saved', () => {
    expect(connectionText({ kind: 'joined' }, none, true, 0)).toMatchObject({
      tone: 'ok',
      label: 'Connected',
    });
    expect(connectionText({ kind: 'joined' }, { pending: 2, retryAt: null }, true, 0).label).toBe(
      'Connected · saving 2 changes',
    );
    expect(connectionText({ kind: 'joined' }, { pending: 1, retryAt: 2500 }, true, 0).label).toBe(
      'Connected · server busy, saving 1 change in 3 s',
    );
  });

  it("says how much of a big map's features have arrived while they stream in", () => {
    const joining = { kind: 'joining' as const, attempt: 0, retry: null };
    const loading = { loadedFeatures: 40_000, totalFeatures: 100_000 };
    expect(connectionText(joining, { pending: 0, retryAt: null, loading }, true, 0)).toMatchObject({
      tone: 'busy',
      label: 'Loading 40,000 of 100,000 features…',
      short: 'Loading 40 %',
    });
    expect(connectionText(joining, { pending: 2, retryAt: null, loading: null }, true, 0).label).toBe(
      'Opening the map… · 2 changes waiting',
    );
  });

  it('counts down a join retry and a reconnect, and says offline when the browser is', () => {
    const joining = {
      kind: 'joining' as const,
      attempt: 2,
      retry: { inMs: 4000, at: 4000, code: 'STORAGE_UNAVAILABLE' },
    };
    expect(connectionText(joining, { pending: 3, retryAt: null }, true, 1000).label).toBe(
      'Opening the map: the server is not ready, retry in 3 s · 3 changes waiting',
    );
    const backoff = {
      kind: 'backoff' as const,
      attempt: 1,
      retryInMs: 2000,
      at: 2000,
      reason: { kind: 'closed' as const, code: 1006, reason: '' },
    };
    expect(connectionText(backoff, none, true, 0)).toMatchObject({
      tone: 'busy',
      label: 'Reconnecting in 2 s',
    });
    expect(connectionText(backoff, none, false, 0)).toMatchObject({ tone: 'bad', label: 'Offline' });
  });

  it('says Offline the moment the browser is, even while the socket still looks joined', () => {
    expect(connectionText({ kind: 'joined' }, { pending: 2, retryAt: null }, false, 0)).toMatchObject({
      tone: 'bad',
      label: 'Offline · 2 changes waiting',
    });
  });

  it('says the server refused the connection after 1008, with the edits kept and a retry offered', () => {
    const text = connectionText(
      { kind: 'closed', code: 1008, reason: 'rate limit exceeded' },
      { pending: 4, retryAt: null },
      true,
      0,
    );
    expect(text).toEqual({
      tone: 'bad',
      label: 'Disconnected: the server refused this connection · 4 changes waiting',
      canRetry: true,
    });
  });
});
