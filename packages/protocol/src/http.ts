import { z } from 'zod';
import { ErrorCode } from './codes.ts';
import { LIMITS } from './limits.ts';
import { DisplayName, MapInfo, Role } from './messages/common.ts';

/**
 * The realtime service's HTTP API (`/api/*`), defined once: the service validates requests with
 * these schemas and the web server parses the answers with them. Every JSON request must be sent
 * with `Content-Type: application/json` (anything else is refused with 415).
 */

/** The secret of a share link; it opens one map with one role. `"Zq3v…43 chars…"` */
export const ShareKey = z.string().min(1).max(LIMITS.MAX_SHARE_KEY_CHARS);

/** The body of every refused API call (4xx/5xx). `{"error":{"code":"MAP_NOT_FOUND","message":"no such map"}}` */
export const ApiErrorBody = z.strictObject({
  error: z.strictObject({
    code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/** `POST /api/maps`: create a map. `{"name":"Trip to Lyon"}` */
export const CreateMapRequest = z.strictObject({ name: DisplayName });
export type CreateMapRequest = z.infer<typeof CreateMapRequest>;

/** 201 to `POST /api/maps`; the keys are the share links' secrets. `{"map":{"id":"m1","name":"Trip to Lyon"},"editKey":"…","viewKey":"…"}` */
export const CreateMapResponse = z.strictObject({ map: MapInfo, editKey: ShareKey, viewKey: ShareKey });
export type CreateMapResponse = z.infer<typeof CreateMapResponse>;

/** `POST /api/maps/:id/sessions`: exchange a share key for an access token. `{"key":"…"}` */
export const CreateSessionRequest = z.strictObject({ key: ShareKey });
export type CreateSessionRequest = z.infer<typeof CreateSessionRequest>;

/**
 * 200 to `POST /api/maps/:id/sessions`: a short-lived token for that map and the key's role;
 * `expiresAt` is epoch milliseconds. `{"token":"eyJ…","role":"edit","map":{"id":"m1","name":"Trip"},"expiresAt":1800000000000}`
 */
export const CreateSessionResponse = z.strictObject({
  token: z.string().min(1),
  role: Role,
  map: MapInfo,
  expiresAt: z.number().int().nonnegative(),
});
export type CreateSessionResponse = z.infer<typeof CreateSessionResponse>;

/**
 * 201 to `POST /api/maps/:id/view-keys` (no body; `Authorization: Bearer <edit access token>`):
 * a freshly minted view key. `{"viewKey":"…"}`
 */
export const MintViewKeyResponse = z.strictObject({ viewKey: ShareKey });
export type MintViewKeyResponse = z.infer<typeof MintViewKeyResponse>;

/**
 * 200 to `GET /api/maps?ids=a,b` (at most LIMITS.MAX_LISTED_MAPS ids): the maps among them that
 * exist. `{"maps":[{"id":"m1","name":"Trip to Lyon"}]}`
 */
export const ListMapsResponse = z.strictObject({ maps: z.array(MapInfo) });
export type ListMapsResponse = z.infer<typeof ListMapsResponse>;
