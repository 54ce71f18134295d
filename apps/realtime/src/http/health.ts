import type { TemplatedApp } from 'uWebSockets.js';
import type { ServerContext } from '../context.ts';
import { replyAsync } from './respond.ts';

/** `/healthz` (the process answers), `/readyz` (database and bus reachable, not draining), `/metrics`. */
export function registerHealthRoutes(app: TemplatedApp, ctx: ServerContext): void {
  const { logger } = ctx;
  app.get('/healthz', (res) => {
    replyAsync(res, logger, async () => ({ status: 200, body: { status: 'ok', node: ctx.config.nodeId } }));
  });
  app.get('/readyz', (res) => {
    replyAsync(res, logger, async () => {
      const db = await ctx.db.ping().then(
        () => true,
        () => false,
      );
      const bus = ctx.bus.isReady();
      const ready = db && bus && !ctx.draining;
      return {
        status: ready ? 200 : 503,
        body: {
          status: ready ? 'ready' : 'unavailable',
          db,
          bus,
          draining: ctx.draining,
          node: ctx.config.nodeId,
        },
      };
    });
  });
  app.get('/metrics', (res) => {
    replyAsync(res, logger, async () => ({
      status: 200,
      headers: { 'content-type': ctx.metrics.registry.contentType },
      text: await ctx.metrics.registry.metrics(),
    }));
  });
}
