import { z } from 'zod';

/**
 * Place search through a public geocoder, done by this app's server (one place to set the
 * User-Agent the services' usage policies ask for, and to pace requests): Photon (komoot's, built
 * for search-as-you-type) or Nominatim (OpenStreetMap's; its policy allows at most one request
 * per second and no autocomplete, so the browser only asks it on Enter).
 */
export type GeocoderKind = 'photon' | 'nominatim';

export interface Place {
  name: string;
  /** Where it is, in words: "Lyon, Auvergne-Rhône-Alpes, France". */
  detail: string;
  lng: number;
  lat: number;
  /** [west, south, east, north], when the service gives an extent. */
  bbox: [number, number, number, number] | null;
}

export const GEOCODER_ATTRIBUTION: Record<GeocoderKind, string> = {
  photon: 'Search by Photon · data © OpenStreetMap contributors',
  nominatim: 'Search by Nominatim · data © OpenStreetMap contributors',
};

export const MAX_PLACES = 5;

export function geocoderRequestUrl(
  kind: GeocoderKind,
  base: string,
  query: string,
  language: string,
): string {
  const url = new URL(kind === 'photon' ? 'api' : 'search', base.endsWith('/') ? base : `${base}/`);
  url.searchParams.set('q', query);
  url.searchParams.set('limit', String(MAX_PLACES));
  if (kind === 'photon') {
    if (['de', 'en', 'fr'].includes(language)) url.searchParams.set('lang', language);
  } else {
    url.searchParams.set('format', 'jsonv2');
    url.searchParams.set('accept-language', language);
  }
  return url.toString();
}

const PhotonResponse = z.object({
  features: z.array(
    z.object({
      geometry: z.object({ type: z.literal('Point'), coordinates: z.tuple([z.number(), z.number()]) }),
      properties: z
        .object({
          name: z.string().optional(),
          street: z.string().optional(),
          housenumber: z.string().optional(),
          city: z.string().optional(),
          state: z.string().optional(),
          country: z.string().optional(),
          extent: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional(),
        })
        .loose(),
    }),
  ),
});

const NominatimResponse = z.array(
  z
    .object({
      lat: z.coerce.number(),
      lon: z.coerce.number(),
      name: z.string().optional(),
      display_name: z.string(),
      boundingbox: z
        .tuple([z.coerce.number(), z.coerce.number(), z.coerce.number(), z.coerce.number()])
        .optional(),
    })
    .loose(),
);

/** The service's answer as places, or a typed failure when it is not what the service sends. */
export function parseGeocoderResponse(
  kind: GeocoderKind,
  body: unknown,
): { ok: true; places: Place[] } | { ok: false; error: string } {
  if (kind === 'photon') {
    const parsed = PhotonResponse.safeParse(body);
    if (!parsed.success) return { ok: false, error: 'unexpected answer from the Photon geocoder' };
    return {
      ok: true,
      places: parsed.data.features.slice(0, MAX_PLACES).map(({ geometry, properties: p }) => {
        const street = p.street ? [p.street, p.housenumber].filter(Boolean).join(' ') : undefined;
        const name = p.name ?? street ?? p.city ?? 'Unnamed place';
        const detail = [p.name ? street : undefined, p.city !== name ? p.city : undefined, p.state, p.country]
          .filter(Boolean)
          .join(', ');
        // Photon's extent is [west, north, east, south].
        const bbox = p.extent
          ? ([p.extent[0], p.extent[3], p.extent[2], p.extent[1]] as Place['bbox'])
          : null;
        return { name, detail, lng: geometry.coordinates[0], lat: geometry.coordinates[1], bbox };
      }),
    };
  }
  const parsed = NominatimResponse.safeParse(body);
  if (!parsed.success) return { ok: false, error: 'unexpected answer from the Nominatim geocoder' };
  return {
    ok: true,
    places: parsed.data.slice(0, MAX_PLACES).map((r) => {
      const [first, ...rest] = r.display_name.split(', ');
      // Nominatim's boundingbox is [south, north, west, east].
      const bbox = r.boundingbox
        ? ([r.boundingbox[2], r.boundingbox[0], r.boundingbox[3], r.boundingbox[1]] as Place['bbox'])
        : null;
      return {
        name: r.name || first || r.display_name,
        detail: rest.join(', '),
        lng: r.lon,
        lat: r.lat,
        bbox,
      };
    }),
  };
}
