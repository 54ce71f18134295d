import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { createMap, createShareKey, getMap, listMaps, resolveShareKey } from '@meridian/db';
import {
  CreateMapRequest,
  type CreateMapResponse,
  CreateSessionRequest,
  type CreateSessionResponse,
  ErrorCode,
  Id,
  LIMITS,
  type ListMapsResponse,
  type MintViewKeyResponse,
} from '@meridian/protocol';
import type { z } from 'zod';
import { createOriginPolicy } from '../auth/origin.ts';
import type { ServerContext } from '../context.ts';
import { HttpError, readJsonBody, replyAsync, requireJsonContentType } from './respond.ts';

/** Bodies are a name or a key: a few hundred bytes. Anything much larger is refused unread. */
const MAX_BODY_BYTES = 16 * 1024;

/** The token of an `Authorization: Bearer <token>` header, or null when there is none. */
function bearerToken(header: string): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

function parseBody<T>(schema: z.ZodType<T>, raw: unknown): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  throw new HttpError(400, ErrorCode.INVALID_MESSAGE, `${where}${issue?.message ?? 'invalid body'}`);
}

/**
 * The HTTP API the web server calls: create a map, exchange a share key for an access token,
 * list maps by id. The realtime service owns the database and the signing secret, so tokens are
 * minted here and the secret never leaves the server side.
 */
export function registerMapsApi(app: TemplatedApp, ctx: ServerContext): void {
  const { db, logger, tokens } = ctx;
  const originAllowed = createOriginPolicy(ctx.config.allowedOrigins);

  /** Harmless CORS for the configured origins; the real caller is the web server (no Origin). */
  const cors = (req: HttpRequest): Record<string, string> => {
    const origin = req.getHeader('origin');
    return origin && originAllowed(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
  };

  app.options('/api/*', (res: HttpResponse, req: HttpRequest) => {
    const headers = {
      ...cors(req),
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'content-type, authorization',
      'access-control-max-age': '600',
    };
    replyAsync(res, logger, async () => ({ status: 204, headers }));
  });

  app.post('/api/maps', (res, req) => {
    const headers = cors(req);
    const body = readJsonBody(res, req, MAX_BODY_BYTES);
    replyAsync(
      res,
      logger,
      async () => {
        const { name } = parseBody(CreateMapRequest, await body);
        const created = await createMap(db, { name });
        return {
          status: 201,
          body: {
            map: { id: created.map.id, name: created.map.name },
            editKey: created.editKey,
            viewKey: created.viewKey,
          } satisfies CreateMapResponse,
        };
      },
      headers,
    );
  });

  app.post('/api/maps/:id/sessions', (res, req) => {
    const headers = cors(req);
    const mapId = req.getParameter('id') ?? '';
    const body = readJsonBody(res, req, MAX_BODY_BYTES);
    replyAsync(
      res,
      logger,
      async () => {
        const { key } = parseBody(CreateSessionRequest, await body);
        const map = Id.safeParse(mapId).success ? await getMap(db, mapId) : null;
        if (!map) throw new HttpError(404, ErrorCode.MAP_NOT_FOUND, 'no such map');
        const role = await resolveShareKey(db, map.id, key);
        if (!role) throw new HttpError(401, ErrorCode.TOKEN_INVALID, 'this share key does not open this map');
        const { token, expiresAt } = await tokens.sign({ mapId: map.id, role });
        const session: CreateSessionResponse = {
          token,
          role,
          map: { id: map.id, name: map.name },
          expiresAt,
        };
        return { status: 200, body: session };
      },
      headers,
    );
  });

  /**
   * Mints a new view key for a map, for any editor. Share keys are stored hashed, so a device that
   * did not create the map cannot show the original view key; an edit-role access token for this
   * map (from POST /api/maps/:id/sessions) proves the caller may share it.
   */
  app.post('/api/maps/:id/view-keys', (res, req) => {
    const headers = cors(req);
    const mapId = req.getParameter('id') ?? '';
    // Headers live only until the handler returns: read them now, verify later.
    const token = bearerToken(req.getHeader('authorization'));
    const contentType = req.getHeader('content-type');
    replyAsync(
      res,
      logger,
      async () => {
        requireJsonContentType(contentType, { bodyless: true });
        if (!Id.safeParse(mapId).success) {
          throw new HttpError(400, ErrorCode.INVALID_MESSAGE, 'not a map id');
        }
        const unauthorized = (message: string) => ({
          status: 401,
          headers: { 'www-authenticate': 'Bearer realm="meridian"' },
          body: { error: { code: ErrorCode.TOKEN_INVALID, message } },
        });
        if (!token) return unauthorized('send Authorization: Bearer <edit access token>');
        const verified = tokens.verify(token);
        if (!verified.ok) {
          return unauthorized(
            verified.reason === 'expired' ? 'access token expired' : 'invalid access token',
          );
        }
        if (verified.claims.mapId !== mapId) {
          throw new HttpError(403, ErrorCode.FORBIDDEN, 'this token is for another map');
        }
        if (verified.claims.role !== 'edit') {
          throw new HttpError(403, ErrorCode.FORBIDDEN, 'only editors can mint view links');
        }
        const viewKey = await createShareKey(db, mapId, 'view');
        if (!viewKey) throw new HttpError(404, ErrorCode.MAP_NOT_FOUND, 'no such map');
        return { status: 201, body: { viewKey } satisfies MintViewKeyResponse };
      },
      headers,
    );
  });

  app.get('/api/maps', (res, req) => {
    const headers = cors(req);
    const raw = req.getQuery('ids') ?? '';
    replyAsync(
      res,
      logger,
      async () => {
        const ids = raw
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean);
        if (ids.length > LIMITS.MAX_LISTED_MAPS) {
          throw new HttpError(
            400,
            ErrorCode.INVALID_MESSAGE,
            `ask for at most ${LIMITS.MAX_LISTED_MAPS} ids`,
          );
        }
        const valid = ids.filter((id) => Id.safeParse(id).success);
        // Only the contract's fields: a map's seq is the realtime protocol's business.
        const maps = (await listMaps(db, valid)).map(({ id, name }) => ({ id, name }));
        return { status: 200, body: { maps } satisfies ListMapsResponse };
      },
      headers,
    );
  });
}
