import {
  ApiErrorBody,
  type CreateMapRequest,
  CreateMapResponse,
  type CreateSessionRequest,
  CreateSessionResponse,
  ListMapsResponse,
  type MapInfo,
  MintViewKeyResponse,
} from '@meridian/protocol';
import type { z } from 'zod';

/**
 * The realtime service's HTTP API as this server uses it. Only the Next server calls it: the
 * share keys travel here, and what reaches the browser is a short-lived token for one map.
 */

export type RealtimeApiFailure = 'invalid-key' | 'not-found' | 'bad-request' | 'unavailable' | 'bad-response';

/** A failed call, with a message fit to show a person. */
export class RealtimeApiError extends Error {
  readonly kind: RealtimeApiFailure;
  constructor(kind: RealtimeApiFailure, message: string) {
    super(message);
    this.name = 'RealtimeApiError';
    this.kind = kind;
  }
}

export type CreatedMap = CreateMapResponse;
/** An access token for one map; `expiresAt` is epoch milliseconds. */
export type Session = CreateSessionResponse;

const REQUEST_TIMEOUT_MS = 5000;

async function call<T>(baseUrl: string, path: string, schema: z.ZodType<T>, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(path, baseUrl), {
      ...init,
      headers: { 'content-type': 'application/json', ...init?.headers },
      cache: 'no-store',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    throw new RealtimeApiError(
      'unavailable',
      'The realtime service cannot be reached right now. Try again shortly.',
    );
  }
  if (response.status === 401 || response.status === 403) {
    throw new RealtimeApiError(
      'invalid-key',
      'This link is not valid: its key is wrong or has been revoked.',
    );
  }
  if (response.status === 404) throw new RealtimeApiError('not-found', 'This map does not exist.');
  if (response.status === 400 || response.status === 422) {
    throw new RealtimeApiError('bad-request', await describeRefusal(response));
  }
  if (!response.ok) {
    throw new RealtimeApiError(
      'unavailable',
      `The realtime service failed (HTTP ${response.status}). Try again shortly.`,
    );
  }
  const parsed = schema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) {
    throw new RealtimeApiError(
      'bad-response',
      'The realtime service sent an answer this app does not understand.',
    );
  }
  return parsed.data;
}

async function describeRefusal(response: Response): Promise<string> {
  const parsed = ApiErrorBody.safeParse(await response.json().catch(() => undefined));
  return parsed.success ? parsed.data.error.message : 'The realtime service refused the request.';
}

export function createRealtimeApi(baseUrl: string) {
  return {
    /** Create a map; the keys in the answer are the share links' secrets. */
    createMap(name: string): Promise<CreatedMap> {
      const body: CreateMapRequest = { name };
      return call(baseUrl, '/api/maps', CreateMapResponse, { method: 'POST', body: JSON.stringify(body) });
    },
    /** Exchange a share key for a short-lived token for that map and the key's role. */
    openSession(mapId: string, key: string): Promise<Session> {
      const body: CreateSessionRequest = { key };
      return call(baseUrl, `/api/maps/${encodeURIComponent(mapId)}/sessions`, CreateSessionResponse, {
        method: 'POST',
        body: JSON.stringify(body),
      });
    },
    /**
     * A new view key for a map, authorised by an edit-role access token for it. Share keys are
     * stored hashed, so this is how an editor on any device gets a view link to hand out.
     */
    async mintViewKey(mapId: string, editToken: string): Promise<string> {
      const minted = await call(
        baseUrl,
        `/api/maps/${encodeURIComponent(mapId)}/view-keys`,
        MintViewKeyResponse,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${editToken}` },
        },
      );
      return minted.viewKey;
    },
    /** Current names of maps (those that exist), for the list of recent maps. */
    async listMaps(ids: readonly string[]): Promise<MapInfo[]> {
      if (ids.length === 0) return [];
      const query = new URLSearchParams({ ids: ids.join(',') });
      return (await call(baseUrl, `/api/maps?${query}`, ListMapsResponse)).maps;
    },
  };
}

export type RealtimeApi = ReturnType<typeof createRealtimeApi>;
