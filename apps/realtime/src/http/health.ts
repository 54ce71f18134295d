import type { TemplatedApp } from 'uWebSockets.js';
import type { ServerContext } from '../context.ts';
import { replyAsync } from './respond.ts';

/**
 * The longest `/readyz` waits for the database. A ping that lands on a stalled connection
 * (a partition: accepted, never answered) would otherwise hold the answer for the whole stall;
 * a balancer needs a prompt 503 to take the node out of its pool.
 */
export const READY_CHECK_TIMEOUT_MS = 1000;

/** How a dependency looked to one readiness check ('skipped': not checked, the node is draining). */
export type DependencyState = 'ok' | 'down' | 'timeout' | 'skipped';

/** `/healthz` (the process answers), `/readyz` (database and bus reachable, not draining), `/metrics`. */
export function registerHealthRoutes(app: TemplatedApp, ctx: ServerContext): void {
  const { logger } = ctx;
  // One ping at a time: checks that arrive while one is stalled wait on it rather than adding
  // more stalled queries to the pool.
  let ping: Promise<DependencyState> | null = null;
  const pingDatabase = (): Promise<DependencyState> => {
    ping ??= ctx.db.ping().then(
      () => 'ok' as const,
      () => 'down' as const,
    );
    const current = ping;
    void current.finally(() => {
      if (ping === current) ping = null;
    });
    return current;
  };
  const checkDatabase = (): Promise<DependencyState> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<DependencyState>((resolve) => {
      timer = setTimeout(resolve, READY_CHECK_TIMEOUT_MS, 'timeout');
    });
    return Promise.race([pingDatabase(), timeout]).finally(() => clearTimeout(timer));
  };

  app.get('/healthz', (res) => {
    replyAsync(res, logger, async () => ({ status: 200, body: { status: 'ok', node: ctx.config.nodeId } }));
  });
  app.get('/readyz', (res) => {
    replyAsync(res, logger, async () => {
      const draining = ctx.leavingPool;
      // A draining node is unready whatever the database says: answer at once.
      const db = draining ? 'skipped' : await checkDatabase();
      const bus: DependencyState = ctx.bus.isReady() ? 'ok' : 'down';
      const ready = db === 'ok' && bus === 'ok' && !draining;
      return {
        status: ready ? 200 : 503,
        body: { status: ready ? 'ready' : 'unavailable', db, bus, draining, node: ctx.config.nodeId },
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
