'use client';

import type { ClientEvents, MeridianClient } from '@meridian/protocol/client';
import { useCallback, useRef, useSyncExternalStore } from 'react';

/**
 * Some renders walk every feature (the list's order, the layers' counts): on a big map a change
 * re-renders at most once per this many ms per feature, up to MAX_RENDER_DELAY_MS (100,000
 * features: twice a second), so a stream of changes (an import arriving) costs a bounded share of
 * the CPU rather than a pass over the map per frame. The map itself is drawn apart from this.
 */
const RENDER_DELAY_MS_PER_FEATURE = 1 / 200;
const MAX_RENDER_DELAY_MS = 500;
/**
 * While a snapshot streams in, renders are this many times further apart: each one still walks
 * every feature (the virtualised list measures every row when its length changes), and a join's
 * progress line reads as well every 2 s as every 0.5 s (100,000 features).
 */
const LOADING_RENDER_DELAY_FACTOR = 4;

/**
 * A number that changes when any of `events` fires on the client, at most once per animation
 * frame (less often on a big map, see above). Components read what they need from the client
 * during render; this only says "again". (The client mutates some of its collections in place,
 * so they cannot be snapshots themselves.)
 */
export function useClientVersion(
  client: MeridianClient | null,
  events: readonly (keyof ClientEvents)[],
): number {
  const version = useRef(0);
  const key = events.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `events`, which callers pass inline.
  const subscribe = useCallback(
    (notify: () => void) => {
      if (!client) return () => {};
      let frame = 0;
      let timer: ReturnType<typeof setTimeout> | null = null;
      let lastAt = Number.NEGATIVE_INFINITY;
      let delayMs = 0;
      const render = () => {
        timer = null;
        frame = requestAnimationFrame(() => {
          frame = 0;
          lastAt = performance.now();
          // Read here, once per render (the render reads the features anyway), not per event.
          delayMs =
            Math.min(MAX_RENDER_DELAY_MS, client.features.size * RENDER_DELAY_MS_PER_FEATURE) *
            (client.loading ? LOADING_RENDER_DELAY_FACTOR : 1);
          version.current++;
          notify();
        });
      };
      const bump = () => {
        if (frame || timer) return;
        const wait = lastAt + delayMs - performance.now();
        if (wait > 0) timer = setTimeout(render, wait);
        else render();
      };
      const offs = events.map((event) => client.on(event, bump as ClientEvents[typeof event]));
      return () => {
        cancelAnimationFrame(frame);
        if (timer) clearTimeout(timer);
        for (const off of offs) off();
      };
    },
    [client, key],
  );
  return useSyncExternalStore(
    subscribe,
    () => version.current,
    () => 0,
  );
}
