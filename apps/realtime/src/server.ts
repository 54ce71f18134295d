import uWS, { type us_listen_socket } from 'uWebSockets.js';
import type { Database } from '@meridian/db';
import { CloseCode, REALTIME_PATH } from '@meridian/protocol';
import { createTokenService, type TokenService } from './auth/tokens.ts';
import type { Bus } from './bus/bus.ts';
import { type Clock, systemClock } from './clock.ts';
import { Admission } from './connection/admission-ledger.ts';
import { InflightCommits } from './connection/inflight.ts';
import { sweepSession } from './connection/lifecycle.ts';
import { createOutbox } from './connection/outbox.ts';
import type { Session } from './connection/session.ts';
import { createSocketBehavior } from './connection/socket.ts';
import type { ServerContext } from './context.ts';
import { registerEchoRoute } from './echo/echo-route.ts';
import { type Config, ConfigError } from './env.ts';
import { createFeedHost, type FeedHost } from './feeds/feed-host.ts';
import { createFeedSubscriptions, type FeedSubscriptions } from './feeds/subscriptions.ts';
import { registerWebSubRoutes } from './feeds/websub-routes.ts';
import { registerHealthRoutes } from './http/health.ts';
import { registerMapsApi } from './http/maps-api.ts';
import { sendPlain } from './http/respond.ts';
import { refuseNonUpgrade } from './http/upgrade.ts';
import { registerAdminRoutes } from './inspect/admin-routes.ts';
import type { Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { RoomRegistry } from './rooms/room-registry.ts';

/**
 * How often every session is checked for an expired token and a send buffer that stopped
 * draining (O(connections) each time; a token expires at most this late).
 */
const SESSION_SWEEP_MS = 250;

export interface ServerDeps {
  config: Config;
  db: Database;
  bus: Bus;
  logger: Logger;
  clock?: Clock;
  /** Default: a fresh registry without process metrics (several servers may share a test process). */
  metrics?: Metrics;
}

export interface RealtimeServer {
  readonly nodeId: string;
  readonly metrics: Metrics;
  readonly tokens: TokenService;
  /** For the live-feed subscription manager (and tests): room events, server ops, layer statuses. */
  readonly feedHost: FeedHost;
  /** The live-feed subscriptions this node follows, and its WebSub callback. */
  readonly feeds: FeedSubscriptions;
  /** Listen on `port` (0 picks a free one) at the configured host; resolves with the real port. */
  listen(port?: number): Promise<number>;
  /**
   * Answer `/readyz` with 503 at once, wait DRAIN_GRACE_MS (the balancer stops sending clients),
   * then stop accepting connections, close every socket with 1012 (reconnect elsewhere and
   * resume), and wait for op commits in flight; all within DRAIN_TIMEOUT_MS. Resolves true if
   * the commits all settled.
   */
  drain(): Promise<boolean>;
  /** Drain if not yet drained, then release timers, rooms and the uWS app. The db and bus are the caller's. */
  close(): Promise<void>;
  stats(): { connections: number; maps: number };
}

/** Build the realtime service from its dependencies; nothing listens until `listen`. */
export function createServer(deps: ServerDeps): RealtimeServer {
  const { config, db, bus, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? createMetrics({ processMetrics: false, nodeId: config.nodeId });
  const app = uWS.App();
  const outbox = createOutbox(
    app,
    metrics,
    logger,
    { maxBackpressureBytes: config.maxBackpressureBytes, slowCloseDeadlineMs: config.idleTimeoutS * 1000 },
    clock,
  );
  if (!config.authSecret)
    throw new ConfigError('MERIDIAN_AUTH_SECRET: unset (index.ts calls withAuthSecret)');
  const tokens = createTokenService(config.authSecret, config.tokenTtlS, clock);
  const rooms = new RoomRegistry({
    nodeId: config.nodeId,
    db,
    bus,
    topics: outbox,
    logger,
    metrics,
    clock,
    limits: {
      maxBackpressureBytes: config.maxBackpressureBytes,
      volatileBackpressureBytes: config.volatileBackpressureBytes,
      presenceFlushMs: config.presenceFlushMs,
      presenceBatchMs: config.presenceBatchMs,
      presenceHeartbeatMs: config.presenceHeartbeatMs,
      presenceTtlMs: config.presenceTtlMs,
      gapHoldMs: config.gapHoldMs,
      maxReplayOps: config.maxReplayOps,
      maxReplayBytes: config.maxReplayBytes,
      opTail: config.opTail,
    },
  });
  const inflight = new InflightCommits();
  const feedHost = createFeedHost({ config, db, bus, rooms, inflight, metrics, clock }, logger);
  const ctx: ServerContext = {
    config,
    db,
    bus,
    logger,
    metrics,
    clock,
    tokens,
    rooms,
    outbox,
    inflight,
    admission: new Admission(config),
    sessions: new Set<Session>(),
    feedHost,
    leavingPool: false,
    draining: false,
  };

  app.ws(REALTIME_PATH, createSocketBehavior(ctx));
  const echo = registerEchoRoute(app, ctx);
  registerHealthRoutes(app, ctx);
  registerMapsApi(app, ctx);
  registerAdminRoutes(app, ctx, echo);
  const feeds = createFeedSubscriptions({ config, host: feedHost, db, logger, metrics, clock });
  registerWebSubRoutes(app, feeds, logger);
  // uWS hands a request on the socket path that is not a valid upgrade to the next route.
  app.any(REALTIME_PATH, (res, req) => refuseNonUpgrade(res, req));
  app.any('/*', (res) => sendPlain(res, 404, 'not found'));

  const every = (ms: number, what: string, fn: () => void) =>
    setInterval(() => {
      try {
        fn();
      } catch (error) {
        logger.error({ err: error }, `${what} failed`);
      }
    }, ms);
  const timers = [
    every(config.presenceHeartbeatMs, 'heartbeat', () => {
      for (const room of rooms.rooms()) room.heartbeat();
    }),
    every(SESSION_SWEEP_MS, 'session sweep', () => {
      const now = clock.now();
      for (const session of ctx.sessions) sweepSession(ctx, session, now);
    }),
  ];
  const stopReconnectWatch = bus.onReconnect(() => {
    logger.info({ maps: rooms.size }, 'bus reconnected; catching up from the op log');
    for (const room of rooms.rooms()) room.recoverFromBusOutage();
  });

  let listenSocket: us_listen_socket | null = null;
  let drained: Promise<boolean> | null = null;
  let closed: Promise<void> | null = null;

  /**
   * The order a load balancer needs: readiness off first (`/readyz` 503) while the node still
   * serves, DRAIN_GRACE_MS for the balancer's next checks to take it out of the pool, then the
   * listener closes and clients get 1012, then the commits in flight finish. The grace is part
   * of DRAIN_TIMEOUT_MS.
   */
  const drain = (): Promise<boolean> => {
    drained ??= (async () => {
      ctx.leavingPool = true;
      logger.info({ graceMs: config.drainGraceMs }, 'draining: readiness off, waiting for the balancer');
      if (config.drainGraceMs > 0) await new Promise((resolve) => setTimeout(resolve, config.drainGraceMs));
      ctx.draining = true;
      if (listenSocket) uWS.us_listen_socket_close(listenSocket);
      listenSocket = null;
      logger.info({ connections: ctx.sessions.size, commits: ctx.inflight.size }, 'draining');
      for (const session of [...ctx.sessions]) {
        outbox.close(session, CloseCode.SERVICE_RESTART, 'server restarting: reconnect to resume');
      }
      echo.closeAll();
      // Leave a quarter of the bound for closing the bus and the database afterwards.
      const commitsMs = Math.max(0, Math.floor(config.drainTimeoutMs * 0.75) - config.drainGraceMs);
      const settled = await ctx.inflight.settled(commitsMs);
      if (!settled) logger.warn('drain timed out with op commits still in flight');
      return settled;
    })();
    return drained;
  };

  return {
    nodeId: config.nodeId,
    metrics,
    tokens,
    feedHost,
    feeds,
    listen(port = config.port) {
      return new Promise((resolve, reject) => {
        app.listen(config.host, port, (socket) => {
          if (!socket) {
            reject(new Error(`could not listen on ${config.host}:${port}`));
            return;
          }
          listenSocket = socket;
          const actual = uWS.us_socket_local_port(socket as unknown as uWS.us_socket);
          logger.info({ host: config.host, port: actual, path: REALTIME_PATH }, 'listening');
          resolve(actual);
        });
      });
    },
    drain,
    close() {
      closed ??= (async () => {
        await drain();
        // Before the rooms close: hand back feed locks and unsubscribe while Redis is still open.
        await feeds.close();
        for (const timer of timers) clearInterval(timer);
        stopReconnectWatch();
        rooms.closeAll();
        app.close();
      })();
      return closed;
    },
    stats: () => ({ connections: ctx.sessions.size, maps: rooms.size }),
  };
}
