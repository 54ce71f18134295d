import { Id, REALTIME_PATH, ShareKey } from '@meridian/protocol';
import type { Metadata } from 'next';
import { cookies, headers } from 'next/headers';
import { notFound } from 'next/navigation';
import { cache } from 'react';
import { basemapCatalog } from '../../../basemap/catalog.ts';
import { LinkProblem } from '../../../components/LinkProblem.tsx';
import { MapApp } from '../../../components/map/MapApp.tsx';
import { webEnv } from '../../../env.ts';
import { GEOCODER_ATTRIBUTION } from '../../../search/geocoder.ts';
import { publicRealtimeUrl } from '../../../server/public-realtime-url.ts';
import { createRealtimeApi, RealtimeApiError, type Session } from '../../../server/realtime-api.ts';
import { shareLinkPath, viewKeyCookie } from '../../../server/share-links.ts';

interface MapPageProps {
  params: Promise<{ mapId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

type SessionResult = { ok: true; session: Session } | { ok: false; error: RealtimeApiError };

/** One exchange per request, shared by the page and its metadata. */
const openSession = cache(async (mapId: string, key: string): Promise<SessionResult> => {
  try {
    return {
      ok: true,
      session: await createRealtimeApi(webEnv().REALTIME_INTERNAL_URL).openSession(mapId, key),
    };
  } catch (error) {
    if (error instanceof RealtimeApiError) return { ok: false, error };
    throw error;
  }
});

async function linkOf(props: MapPageProps): Promise<{ mapId: string; key: string | undefined }> {
  const { mapId } = await props.params;
  if (!Id.safeParse(mapId).success) notFound();
  const { key } = await props.searchParams;
  const shareKey = ShareKey.safeParse(key);
  return { mapId, key: shareKey.success ? shareKey.data : undefined };
}

export async function generateMetadata(props: MapPageProps): Promise<Metadata> {
  const { mapId, key } = await linkOf(props);
  const result = key ? await openSession(mapId, key) : undefined;
  return { title: result?.ok ? result.session.map.name : 'Map' };
}

export default async function MapPage(props: MapPageProps) {
  const { mapId, key } = await linkOf(props);
  if (!key) {
    return (
      <LinkProblem title="This link is incomplete">
        A map link ends with <code>?key=…</code>. Ask whoever shared it for the full link.
      </LinkProblem>
    );
  }
  const result = await openSession(mapId, key);
  if (!result.ok) {
    const title =
      result.error.kind === 'invalid-key' || result.error.kind === 'not-found'
        ? 'Cannot open this map'
        : 'Cannot reach the map service';
    return <LinkProblem title={title}>{result.error.message}</LinkProblem>;
  }
  const { session } = result;
  const env = webEnv();
  const requestHeaders = await headers();
  const realtimeBase = publicRealtimeUrl(env.MERIDIAN_PUBLIC_REALTIME_URL, {
    host: requestHeaders.get('x-forwarded-host') ?? requestHeaders.get('host'),
    proto: requestHeaders.get('x-forwarded-proto'),
  });
  const { basemaps, defaultId } = basemapCatalog(env.MAP_STYLE_URL, env.MAP_STYLES ?? []);
  const viewKey = session.role === 'edit' ? (await cookies()).get(viewKeyCookie(mapId))?.value : undefined;

  return (
    <MapApp
      mapId={mapId}
      initialName={session.map.name}
      role={session.role}
      shareKey={key}
      token={session.token}
      tokenExpiresAt={session.expiresAt}
      realtimeUrl={`${realtimeBase}${REALTIME_PATH}`}
      basemaps={basemaps}
      defaultBasemap={defaultId}
      basemapFallbackMs={env.BASEMAP_FALLBACK_MS}
      geocoder={
        env.GEOCODER_URL
          ? { kind: env.GEOCODER_KIND, attribution: GEOCODER_ATTRIBUTION[env.GEOCODER_KIND] }
          : null
      }
      shareLinks={
        session.role === 'edit'
          ? { edit: shareLinkPath(mapId, key), view: viewKey ? shareLinkPath(mapId, viewKey) : null }
          : null
      }
    />
  );
}
