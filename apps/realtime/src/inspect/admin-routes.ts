import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { timingSafeEqual } from 'node:crypto';
import { ErrorCode } from '@meridian/protocol';
import type { ServerContext } from '../context.ts';
import type { EchoRoute } from '../echo/echo-route.ts';
import { writeReply } from '../http/respond.ts';

export const ADMIN_CONNECTIONS_PATH = '/admin/connections';

function bearerMatches(header: string, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1]);
  // Compare in constant time so response timing does not reveal how much of the token matched.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** One connection as an operator sees it. */
export function describeConnections(ctx: ServerContext) {
  const now = ctx.clock.now();
  return [...ctx.sessions].map((session) => {
    const { stats } = session;
    const out = stats.out();
    return {
      id: session.id,
      clientId: session.client?.clientId ?? null,
      name: session.client?.name ?? null,
      mapId: session.room?.mapId ?? session.claims.mapId,
      role: session.member?.role ?? session.claims.role,
      ageMs: now - stats.openedAtMs,
      messagesIn: stats.in.messages,
      bytesIn: stats.in.bytes,
      messagesOut: out.messages,
      bytesOut: out.bytes,
      /** Bytes uWS holds for this socket that the kernel has not taken yet (backpressure). */
      bufferedBytes: session.ws?.getBufferedAmount() ?? 0,
      volatileDropped: stats.volatileDropped,
      volatileOn: session.room ? stats.isOn(session.room.volatileTopic) : false,
      deflate: stats.deflate,
    };
  });
}

/**
 * `GET /admin/connections`: every connection of this node with its traffic counters, as JSON,
 * for a bearer of MERIDIAN_ADMIN_TOKEN. Without that setting the route does not exist (404), so
 * a deployment exposes nothing it did not ask for.
 */
export function registerAdminRoutes(app: TemplatedApp, ctx: ServerContext, echo: EchoRoute): void {
  const token = ctx.config.adminToken;
  if (!token) return;
  const expected = Buffer.from(token);
  app.get(ADMIN_CONNECTIONS_PATH, (res: HttpResponse, req: HttpRequest) => {
    if (!bearerMatches(req.getHeader('authorization'), expected)) {
      writeReply(res, {
        status: 401,
        headers: { 'www-authenticate': 'Bearer realm="meridian-admin"' },
        body: {
          error: {
            code: ErrorCode.TOKEN_INVALID,
            message: 'send Authorization: Bearer <MERIDIAN_ADMIN_TOKEN>',
          },
        },
      });
      return;
    }
    writeReply(res, {
      status: 200,
      headers: { 'cache-control': 'no-store' },
      body: {
        node: ctx.config.nodeId,
        compression: ctx.config.compression,
        draining: ctx.leavingPool,
        maps: ctx.rooms.size,
        echoConnections: echo.size,
        connections: describeConnections(ctx),
      },
    });
  });
}
