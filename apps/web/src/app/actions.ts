'use server';

import { DisplayName, Id, type MapInfo } from '@meridian/protocol';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { webEnv } from '../env.ts';
import { createRealtimeApi, RealtimeApiError } from '../server/realtime-api.ts';
import { VIEW_KEY_COOKIE_MAX_AGE_S, viewKeyCookie } from '../server/share-links.ts';

export interface CreateMapState {
  error?: string;
  name?: string;
}

/** Create a map, remember its view key on this device, and open its edit link. */
export async function createMapAction(_previous: CreateMapState, form: FormData): Promise<CreateMapState> {
  const raw = form.get('name');
  const name = DisplayName.safeParse(typeof raw === 'string' ? raw : '');
  if (!name.success) {
    return { error: 'Give the map a name of 1 to 80 characters.', name: typeof raw === 'string' ? raw : '' };
  }
  let created: Awaited<ReturnType<ReturnType<typeof createRealtimeApi>['createMap']>>;
  try {
    created = await createRealtimeApi(webEnv().REALTIME_INTERNAL_URL).createMap(name.data);
  } catch (error) {
    if (error instanceof RealtimeApiError) return { error: error.message, name: name.data };
    throw error;
  }
  // The view key is only ever known at creation: keep it (httpOnly, this map's pages only) so the
  // map page can show both share links to the person who made it.
  (await cookies()).set(viewKeyCookie(created.map.id), created.viewKey, {
    httpOnly: true,
    sameSite: 'lax',
    path: `/m/${created.map.id}`,
    maxAge: VIEW_KEY_COOKIE_MAX_AGE_S,
  });
  redirect(`/m/${encodeURIComponent(created.map.id)}?key=${encodeURIComponent(created.editKey)}`);
}

/** Current names of maps this device remembers; maps that no longer exist are left out. */
export async function lookupMapsAction(ids: string[]): Promise<MapInfo[] | null> {
  const valid = ids.filter((id) => Id.safeParse(id).success).slice(0, 50);
  try {
    return await createRealtimeApi(webEnv().REALTIME_INTERNAL_URL).listMaps(valid);
  } catch (error) {
    if (error instanceof RealtimeApiError) return null;
    throw error;
  }
}
