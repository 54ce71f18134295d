import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { EchoConsole } from '../../components/echo/EchoConsole.tsx';
import { webEnv } from '../../env.ts';
import { publicRealtimeUrl } from '../../server/public-realtime-url.ts';

export const metadata: Metadata = { title: 'WebSocket echo' };

/** The realtime service's echo endpoint (apps/realtime/src/echo). */
const ECHO_PATH = '/ws/echo';

/** The echo test page; it defaults to this deployment's echo endpoint, reached as the map page reaches /ws. */
export default async function EchoPage() {
  const requestHeaders = await headers();
  const realtimeBase = publicRealtimeUrl(webEnv().MERIDIAN_PUBLIC_REALTIME_URL, {
    host: requestHeaders.get('x-forwarded-host') ?? requestHeaders.get('host'),
    proto: requestHeaders.get('x-forwarded-proto'),
  });
  return <EchoConsole defaultUrl={`${realtimeBase}${ECHO_PATH}`} />;
}
