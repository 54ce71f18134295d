'use client';

import type { ClientEvents, MeridianClient } from '@meridian/protocol/client';
import { useCallback, useRef, useSyncExternalStore } from 'react';

/**
 * A number that changes when any of `events` fires on the client, at most once per animation
 * frame. Components read what they need from the client during render; this only says "again".
 * (The client mutates some of its collections in place, so they cannot be snapshots themselves.)
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
      const bump = () => {
        if (frame) return;
        frame = requestAnimationFrame(() => {
          frame = 0;
          version.current++;
          notify();
        });
      };
      const offs = events.map((event) => client.on(event, bump as ClientEvents[typeof event]));
      return () => {
        cancelAnimationFrame(frame);
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
