'use server';

import { Id } from '@meridian/protocol';
import { webEnv } from '../../../env.ts';
import { createRealtimeApi, RealtimeApiError } from '../../../server/realtime-api.ts';
import { expiresAtMs } from '../../../server/session-expiry.ts';

export type RefreshResult = { ok: true; token: string; expiresAt: number } | { ok: false; message: string };

/**
 * A fresh token for a map the browser already holds a share link to (tokens are short-lived;
 * the client asks before every reconnect). The key comes from the link in the address bar.
 */
export async function refreshSessionAction(mapId: string, key: string): Promise<RefreshResult> {
  if (!Id.safeParse(mapId).success || typeof key !== 'string' || key.length === 0 || key.length > 512) {
    return { ok: false, message: 'This link is not valid.' };
  }
  try {
    const session = await createRealtimeApi(webEnv().REALTIME_INTERNAL_URL).openSession(mapId, key);
    return { ok: true, token: session.token, expiresAt: expiresAtMs(session.expiresAt) };
  } catch (error) {
    if (error instanceof RealtimeApiError) return { ok: false, message: error.message };
    throw error;
  }
}
