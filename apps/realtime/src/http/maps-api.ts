import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { createMap, getMap, listMaps, resolveShareKey } from '@meridian/db';
import { DisplayName, ErrorCode, Id } from '@meridian/protocol';
import { z } from 'zod';
import { createOriginPolicy } from '../auth/origin.ts';
import type { ServerContext } from '../context.ts';
import { HttpError, parseJsonBody, readBody, replyAsync } from './respond.ts';

/** Bodies are a name or a key: a few hundred bytes. Anything much larger is refused unread. */
const MAX_BODY_BYTES = 16 * 1024;
/** Most map ids one `GET /api/maps?ids=` may ask about. */
const MAX_LISTED_IDS = 100;

const CreateMapBody = z.strictObject({ name: DisplayName });
const CreateSessionBody = z.strictObject({ key: z.string().min(1).max(256) });

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
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '600',
    };
    replyAsync(res, logger, async () => ({ status: 204, headers }));
  });

  app.post('/api/maps', (res, req) => {
    const headers = cors(req);
    const body = readBody(res, MAX_BODY_BYTES);
    replyAsync(
      res,
      logger,
      async () => {
        const { name } = parseBody(CreateMapBody, parseJsonBody(await body));
        const created = await createMap(db, { name });
        return {
          status: 201,
          body: {
            map: { id: created.map.id, name: created.map.name },
            editKey: created.editKey,
            viewKey: created.viewKey,
          },
        };
      },
      headers,
    );
  });

  app.post('/api/maps/:id/sessions', (res, req) => {
    const headers = cors(req);
    const mapId = req.getParameter('id') ?? '';
    const body = readBody(res, MAX_BODY_BYTES);
    replyAsync(
      res,
      logger,
      async () => {
        const { key } = parseBody(CreateSessionBody, parseJsonBody(await body));
        const map = Id.safeParse(mapId).success ? await getMap(db, mapId) : null;
        if (!map) throw new HttpError(404, ErrorCode.MAP_NOT_FOUND, 'no such map');
        const role = await resolveShareKey(db, map.id, key);
        if (!role) throw new HttpError(401, ErrorCode.TOKEN_INVALID, 'this share key does not open this map');
        const { token, expiresAt } = await tokens.sign({ mapId: map.id, role });
        return { status: 200, body: { token, role, map: { id: map.id, name: map.name }, expiresAt } };
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
        if (ids.length > MAX_LISTED_IDS) {
          throw new HttpError(400, ErrorCode.INVALID_MESSAGE, `ask for at most ${MAX_LISTED_IDS} ids`);
        }
        const valid = ids.filter((id) => Id.safeParse(id).success);
        const maps = await listMaps(db, valid);
        return { status: 200, body: { maps } };
      },
      headers,
    );
  });
}
