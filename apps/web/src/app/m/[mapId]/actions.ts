'use server';

import { Id, ShareKey } from '@meridian/protocol';
import { cookies } from 'next/headers';
import { webEnv } from '../../../env.ts';
import { createRealtimeApi, RealtimeApiError } from '../../../server/realtime-api.ts';
import { shareLinkPath, VIEW_KEY_COOKIE_MAX_AGE_S, viewKeyCookie } from '../../../server/share-links.ts';

export type RefreshResult = { ok: true; token: string; expiresAt: number } | { ok: false; message: string };

/**
 * A fresh token for a map the browser already holds a share link to (tokens are short-lived;
 * the client asks before every reconnect). The key comes from the link in the address bar.
 */
export async function refreshSessionAction(mapId: string, key: string): Promise<RefreshResult> {
  if (!Id.safeParse(mapId).success || !ShareKey.safeParse(key).success) {
    return { ok: false, message: 'This link is not valid.' };
  }
  try {
    const session = await createRealtimeApi(webEnv().REALTIME_INTERNAL_URL).openSession(mapId, key);
    return { ok: true, token: session.token, expiresAt: session.expiresAt };
  } catch (error) {
    if (error instanceof RealtimeApiError) return { ok: false, message: error.message };
    throw error;
  }
}

export type ViewLinkResult = { ok: true; path: string } | { ok: false; message: string };

/**
 * A view link for an editor on any device. View keys are stored hashed, so the original is lost
 * once the creating device forgets it: the server trades the edit key in the address bar for an
 * edit token and mints a fresh view key with it. The key is kept in this device's cookie, so the
 * next visit shows the same link instead of minting another.
 */
export async function createViewLinkAction(mapId: string, editKey: string): Promise<ViewLinkResult> {
  if (!Id.safeParse(mapId).success || !ShareKey.safeParse(editKey).success) {
    return { ok: false, message: 'This link is not valid.' };
  }
  const api = createRealtimeApi(webEnv().REALTIME_INTERNAL_URL);
  try {
    const session = await api.openSession(mapId, editKey);
    if (session.role !== 'edit') return { ok: false, message: 'Only editors can share a view link.' };
    const viewKey = await api.mintViewKey(mapId, session.token);
    (await cookies()).set(viewKeyCookie(mapId), viewKey, {
      httpOnly: true,
      sameSite: 'lax',
      path: `/m/${mapId}`,
      maxAge: VIEW_KEY_COOKIE_MAX_AGE_S,
    });
    return { ok: true, path: shareLinkPath(mapId, viewKey) };
  } catch (error) {
    if (error instanceof RealtimeApiError) return { ok: false, message: error.message };
    throw error;
  }
}
