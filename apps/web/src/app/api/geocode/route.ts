import { webEnv } from '../../../env.ts';
import { humanError } from '../../../messages/human-error.ts';
import { GEOCODER_ATTRIBUTION, geocoderRequestUrl, parseGeocoderResponse } from '../../../search/geocoder.ts';

const MAX_QUERY_CHARS = 200;
const GEOCODER_TIMEOUT_MS = 8000;
/** Nominatim's usage policy: an absolute maximum of one request per second from one application. */
const NOMINATIM_SPACING_MS = 1000;

let nominatimQueue: Promise<void> = Promise.resolve();

/** Wait for this server's turn at Nominatim (requests leave at least a second apart). */
function nominatimTurn(): Promise<void> {
  const turn = nominatimQueue.then(
    () => new Promise<void>((resolve) => setTimeout(resolve, NOMINATIM_SPACING_MS)),
  );
  const mine = nominatimQueue;
  nominatimQueue = turn;
  return mine;
}

/**
 * GET /api/geocode?q=… — place search through the configured geocoder, asked by this server so
 * the service sees one identified application (User-Agent and Referer, as both services' usage
 * policies ask) and its pace can be kept. Answers `{ places, attribution }`.
 */
export async function GET(request: Request): Promise<Response> {
  const env = webEnv();
  if (!env.GEOCODER_URL) return Response.json({ error: 'Place search is not set up here.' }, { status: 404 });
  const requestUrl = new URL(request.url);
  const query = requestUrl.searchParams.get('q')?.trim() ?? '';
  if (query === '' || query.length > MAX_QUERY_CHARS)
    return Response.json({ error: `Search for 1 to ${MAX_QUERY_CHARS} characters.` }, { status: 400 });
  const language = (request.headers.get('accept-language') ?? 'en').slice(0, 2).toLowerCase();
  const kind = env.GEOCODER_KIND;
  // The address people use (behind a proxy too), so the service knows which site is asking.
  const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host') ?? requestUrl.host;
  const proto = request.headers.get('x-forwarded-proto') ?? requestUrl.protocol.replace(':', '');
  const origin = `${proto}://${host}`;
  try {
    if (kind === 'nominatim') await nominatimTurn();
    const response = await fetch(geocoderRequestUrl(kind, env.GEOCODER_URL, query, language), {
      headers: {
        'User-Agent': `Meridian/0.1 (collaborative map; ${origin})`,
        Referer: `${origin}/`,
        Accept: 'application/json',
      },
      signal: AbortSignal.any([request.signal, AbortSignal.timeout(GEOCODER_TIMEOUT_MS)]),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const parsed = parseGeocoderResponse(kind, await response.json());
    if (!parsed.ok) throw new Error(parsed.error);
    return Response.json(
      { places: parsed.places, attribution: GEOCODER_ATTRIBUTION[kind] },
      { headers: { 'Cache-Control': 'private, max-age=300' } },
    );
  } catch (error) {
    const raw =
      error instanceof Error
        ? `${error.message}${error.cause ? `: ${String(error.cause)}` : ''}`
        : String(error);
    const said = humanError(raw);
    return Response.json(
      { error: `Place search failed: ${said.message}`, detail: said.detail },
      { status: 502 },
    );
  }
}
