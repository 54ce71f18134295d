'use client';

import { MeridianClient } from '@meridian/protocol/client';
import { useEffect, useRef, useState } from 'react';
import { refreshSessionAction } from '../app/m/[mapId]/actions.ts';
import type { Identity } from '../presence/identity.ts';

/** Refresh a token this long before it expires rather than reconnect with a stale one. */
const TOKEN_MARGIN_MS = 30_000;

export interface SessionProps {
  mapId: string;
  realtimeUrl: string;
  /** The share key this page was opened with; it buys fresh tokens on reconnect. */
  shareKey: string;
  /** The token the page was rendered with, used for the first connection while it is fresh. */
  token: string;
  tokenExpiresAt: number;
}

/**
 * One realtime client per map and device, connected while the component is mounted. A new name
 * or colour goes through `setUser`, not a new client; a token is refreshed through the share key
 * whenever the one in hand is used or near its expiry.
 */
export function useMeridianSession(session: SessionProps, identity: Identity | null): MeridianClient | null {
  const [client, setClient] = useState<MeridianClient | null>(null);
  const token = useRef({ token: session.token, expiresAt: session.tokenExpiresAt, used: false });
  // The client is made once per device; the name it starts with is whatever is current then.
  const user = useRef(identity);
  user.current = identity;
  const deviceId = identity?.deviceId ?? null;
  const { mapId, realtimeUrl, shareKey } = session;

  useEffect(() => {
    const current = user.current;
    if (!deviceId || !current) return;
    const meridian = new MeridianClient({
      url: realtimeUrl,
      mapId,
      // One person per browser profile: every tab shows as the same person, never as someone else.
      personId: deviceId,
      user: { name: current.name, color: current.color },
      getToken: async () => {
        const held = token.current;
        if (!held.used && held.expiresAt - Date.now() > TOKEN_MARGIN_MS) {
          held.used = true;
          return held.token;
        }
        try {
          const fresh = await refreshSessionAction(mapId, shareKey);
          if (!fresh.ok) throw new Error(fresh.message);
          token.current = { token: fresh.token, expiresAt: fresh.expiresAt, used: true };
          return fresh.token;
        } catch (error) {
          // Offline, the web server is as unreachable as the realtime one: retry with what we have.
          if (error instanceof TypeError || !navigator.onLine) return held.token;
          throw error;
        }
      },
    });
    setClient(meridian);
    meridian.connect();
    // Back online: try now rather than wait out a backoff that grew while the network was down.
    const onOnline = () => meridian.reconnectNow();
    window.addEventListener('online', onOnline);
    return () => {
      window.removeEventListener('online', onOnline);
      meridian.close();
      setClient(null);
    };
  }, [deviceId, mapId, realtimeUrl, shareKey]);

  const name = identity?.name;
  const color = identity?.color;
  useEffect(() => {
    if (client && name && color) client.setUser({ name, color });
  }, [client, name, color]);

  return client;
}
