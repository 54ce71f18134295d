import { z } from 'zod';
import { type ConfiguredStyle, OFFLINE_KEYWORD, parseMapStyles } from './basemap/catalog.ts';

/**
 * The web server's configuration, read once from the process environment. It only ever runs on
 * the server: values reach client components as props, so one build works in every deployment.
 */

const blankAsUnset = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });
const wsUrl = z.url({ protocol: /^wss?$/, error: 'expected a ws:// or wss:// URL' });

const EnvSchema = z.object({
  /** Where this server reaches the realtime service's HTTP API (never exposed to browsers). */
  REALTIME_INTERNAL_URL: z.preprocess(blankAsUnset, httpUrl.default('http://127.0.0.1:4000')),
  /** The realtime base URL browsers connect to; unset means "the page's host, port 4000". */
  MERIDIAN_PUBLIC_REALTIME_URL: z.preprocess(blankAsUnset, wsUrl.optional()),
  /** The default basemap: a MapLibre style URL, `offline` (embedded), or unset (OpenFreeMap streets). */
  MAP_STYLE_URL: z.preprocess(blankAsUnset, z.union([z.literal(OFFLINE_KEYWORD), httpUrl]).optional()),
  /** More basemaps for the switcher: a JSON array of {name, url}, or `Name=url` pairs (`;` or newline). */
  MAP_STYLES: z.preprocess(
    blankAsUnset,
    z
      .string()
      .transform((raw, context): ConfiguredStyle[] => {
        try {
          return parseMapStyles(raw);
        } catch (error) {
          context.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      })
      .optional(),
  ),
  /** How long a remote basemap may take to show its first tile before the offline one takes over. */
  BASEMAP_FALLBACK_MS: z.preprocess(
    blankAsUnset,
    z.coerce.number().int().min(500).max(120_000).default(8000),
  ),
  /** A place-search service (Photon or Nominatim); unset means search covers only the map's features. */
  GEOCODER_URL: z.preprocess(blankAsUnset, httpUrl.optional()),
  GEOCODER_KIND: z.preprocess(blankAsUnset, z.enum(['photon', 'nominatim']).default('photon')),
});

export type WebEnv = z.infer<typeof EnvSchema>;

/** Parse an environment, failing with a message that names each bad variable and what it expects. */
export function parseWebEnv(source: Record<string, string | undefined>): WebEnv {
  const result = EnvSchema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`Invalid web configuration:\n${problems.join('\n')}`);
}

let cached: WebEnv | undefined;

/** The validated configuration of this process (parsed on first use, then reused). */
export function webEnv(): WebEnv {
  cached ??= parseWebEnv(process.env);
  return cached;
}
