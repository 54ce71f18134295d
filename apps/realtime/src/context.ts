import type { Database } from '@meridian/db';
import type { TokenService } from './auth/tokens.ts';
import type { Bus } from './bus/bus.ts';
import type { Clock } from './clock.ts';
import type { Admission } from './connection/admission-ledger.ts';
import type { InflightCommits } from './connection/inflight.ts';
import type { Outbox } from './connection/outbox.ts';
import type { Session } from './connection/session.ts';
import type { Config } from './env.ts';
import type { FeedHost } from './feeds/feed-host.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { RoomRegistry } from './rooms/room-registry.ts';

/** Everything a request or message handler may use; built once per server by createServer. */
export interface ServerContext {
  config: Config;
  db: Database;
  bus: Bus;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  tokens: TokenService;
  rooms: RoomRegistry;
  outbox: Outbox;
  inflight: InflightCommits;
  /** Ops queued per map on this node and the commit pace: what admission of new ops looks at. */
  admission: Admission;
  sessions: Set<Session>;
  /** What the live-feed subscription manager uses (rooms opening and closing, server ops, layer statuses). */
  feedHost: FeedHost;
  /** Set first by drain(): `/readyz` answers 503 so the balancer stops sending clients; all else still served. */
  leavingPool: boolean;
  /** Set by drain() after DRAIN_GRACE_MS: no new connections or maps. */
  draining: boolean;
}
