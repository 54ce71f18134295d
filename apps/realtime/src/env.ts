import { isIP } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIMITS } from '@meridian/protocol';
import { z } from 'zod';
import { resolveAuthSecret } from './auth/secret.ts';

/** The monorepo root, so the default data folder is the same whatever directory `npm start` runs from. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));

export const Compression = z.enum(['off', 'shared', 'dedicated']);
export type Compression = z.infer<typeof Compression>;

/** Every environment variable the service reads, with its default. The README's table mirrors this. */
const EnvSchema = z.object({
  PORT: int(0, 65_535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'use letters, digits and _ . : - (at most 128)')
    .optional(),
  DATABASE_URL: optionalText.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  // A `redis+cluster://host:port,host:port` URL names a Redis Cluster's seed nodes (see parseRedis).
  REDIS_URL: optionalText,
  REDIS_CLUSTER_NODES: optionalText,
  REDIS_CHANNEL_PREFIX: z.string().min(1).max(64).default('meridian:'),
  MERIDIAN_DATA_DIR: optionalText,
  MERIDIAN_AUTH_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  MERIDIAN_ALLOWED_ORIGINS: optionalText,
  MERIDIAN_COMPRESSION: Compression.default('off'),
  MERIDIAN_ADMIN_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  TOKEN_TTL_S: int(60).default(3600),
  MAX_FRAME_BYTES: int(1024, 16 * 1024 * 1024).default(LIMITS.MAX_FRAME_BYTES),
  // Taken as at least MAX_FRAME_BYTES.
  MAX_BULK_FRAME_BYTES: int(1024, 16 * 1024 * 1024).default(LIMITS.MAX_BULK_FRAME_BYTES),
  IDLE_TIMEOUT_S: int(8, 960).default(60),
  MAX_BACKPRESSURE_BYTES: int(64 * 1024).default(1024 * 1024),
  VOLATILE_BACKPRESSURE_BYTES: int(1024).default(64 * 1024),
  RATE_LIMIT_MSGS_PER_S: int(1).default(50),
  RATE_LIMIT_BURST: int(1).default(200),
  RATE_LIMIT_MAX_EXCESS: int(1).default(100),
  // Bulk ops (imports, multi-deletes) have a budget of their own, in KiB of frames per second.
  BULK_RATE_KIB_PER_S: int(64).default(8192),
  BULK_BURST_KIB: int(64).default(8192),
  INVALID_MESSAGE_BUDGET: int(1).default(20),
  MAX_INFLIGHT_OPS: int(1, 100_000).default(128),
  MAX_MAP_QUEUED_OPS: int(1, 1_000_000).default(1024),
  OP_TAIL_MAX_OPS: int(0, 100_000).default(LIMITS.MAX_SYNC_RANGE),
  OP_TAIL_MAX_BYTES: int(0).default(1024 * 1024),
  HELLO_TIMEOUT_MS: int(100).default(10_000),
  MAX_REPLAY_OPS: int(1, LIMITS.MAX_SYNC_RANGE).default(500),
  MAX_REPLAY_BYTES: int(64 * 1024).default(16 * 1024 * 1024),
  PRESENCE_FLUSH_MS: int(10, 1000).default(50),
  PRESENCE_BATCH_MS: int(0, 1000).default(25),
  PRESENCE_HEARTBEAT_MS: int(100).default(2000),
  PRESENCE_TTL_MS: int(300).default(8000),
  GAP_HOLD_MS: int(0, 10_000).default(50),
  DRAIN_TIMEOUT_MS: int(100).default(10_000),
  // HAProxy checks /readyz every 2 s and needs 2 failures (infra/lb/haproxy.cfg): 4 s, plus a margin.
  DRAIN_GRACE_MS: int(0).default(4500),
  MERIDIAN_PUBLIC_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  FEED_FETCH_ALLOW: optionalText,
  FEED_POLL_INTERVAL_S: int(1, 86_400).default(60),
  FEED_LEASE_S: int(60, 30 * 86_400).default(86_400),
  FEED_LOCK_TTL_S: int(3, 3600).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Exact origins allowed to open a WebSocket; `loopback` allows any http(s) origin on localhost. */
function parseOrigins(raw: string | undefined): readonly string[] | 'loopback' | '*' {
  if (raw === undefined) return 'loopback';
  const origins = raw
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.includes('*')) return '*';
  for (const origin of origins) {
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new ConfigError(
        `MERIDIAN_ALLOWED_ORIGINS: "${origin}" is not an origin like https://maps.example.com`,
      );
    }
    if (parsed.origin !== origin) {
      throw new ConfigError(
        `MERIDIAN_ALLOWED_ORIGINS: "${origin}" should be written as "${parsed.origin}" (scheme, host, port; no path)`,
      );
    }
  }
  return origins;
}

const CIDR = /^([0-9.]+|[0-9A-Fa-f:.]+)\/(\d{1,3})$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;

/** FEED_FETCH_ALLOW: `host.name`, an IP, or a CIDR range, comma-separated. */
function parseFetchAllow(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  for (const item of items) {
    const cidr = CIDR.exec(item);
    const family = isIP(cidr ? (cidr[1] ?? '') : item);
    const valid = cidr
      ? family !== 0 && Number(cidr[2]) <= (family === 4 ? 32 : 128)
      : family !== 0 || HOSTNAME.test(item);
    if (!valid) {
      throw new ConfigError(
        `FEED_FETCH_ALLOW: "${item}" is not a hostname, an IP or a CIDR range like 10.0.0.0/8`,
      );
    }
  }
  return items;
}

/** The callback base without a trailing slash, so `${publicUrl}/websub/<id>` is always one slash. */
function parsePublicUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const url = new URL(raw);
  if (url.search || url.hash) {
    throw new ConfigError('MERIDIAN_PUBLIC_URL: give a base URL without ?query or #fragment');
  }
  return url.toString().replace(/\/+$/, '');
}

const SINGLE_REDIS_URL = z.url({ protocol: /^rediss?$/ });
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** `host:port` items (an optional user:password@ before the first) as node URLs, or a ConfigError. */
function parseClusterNodes(variable: string, list: string, scheme: 'redis' | 'rediss'): string[] {
  const at = list.lastIndexOf('@');
  const credentials = at >= 0 ? `${list.slice(0, at + 1)}` : '';
  const items = list
    .slice(at + 1)
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new ConfigError(`${variable}: name at least one host:port`);
  return items.map((item) => {
    const match = HOST_PORT.exec(item);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65_535) {
      throw new ConfigError(`${variable}: "${item}" is not a host:port like redis-0.redis:6379`);
    }
    return `${scheme}://${credentials}${item}`;
  });
}

/** REDIS_URL (single server, or `redis+cluster://` seed nodes) and REDIS_CLUSTER_NODES, which exclude each other. */
function parseRedis(
  url: string | undefined,
  nodes: string | undefined,
): { redisUrl: string | undefined; redisClusterNodes: readonly string[] | undefined } {
  const cluster = url && /^rediss?\+cluster:\/\//.exec(url);
  if (nodes !== undefined && url !== undefined) {
    throw new ConfigError('REDIS_CLUSTER_NODES: set either it or REDIS_URL, not both');
  }
  if (nodes !== undefined)
    return {
      redisUrl: undefined,
      redisClusterNodes: parseClusterNodes('REDIS_CLUSTER_NODES', nodes, 'redis'),
    };
  if (url && cluster) {
    const scheme = url.startsWith('rediss') ? 'rediss' : 'redis';
    const rest = url.slice(cluster[0].length).replace(/\/$/, '');
    return { redisUrl: undefined, redisClusterNodes: parseClusterNodes('REDIS_URL', rest, scheme) };
  }
  if (url === undefined) return { redisUrl: undefined, redisClusterNodes: undefined };
  if (!SINGLE_REDIS_URL.safeParse(url).success) {
    throw new ConfigError(
      'REDIS_URL: use redis://host:port, rediss://… or redis+cluster://host:port,host:port',
    );
  }
  return { redisUrl: url, redisClusterNodes: undefined };
}

/**
 * The service's configuration, derived from the environment by one schema: EnvSchema validates
 * each variable, this transform shapes and cross-checks them. Helpers throw a ConfigError naming
 * the variable. Pure: reading the configuration touches no file (see `withAuthSecret`).
 */
const ConfigSchema = EnvSchema.transform((e) => {
  if (e.PRESENCE_TTL_MS <= 2 * e.PRESENCE_HEARTBEAT_MS) {
    throw new ConfigError(
      'PRESENCE_TTL_MS: must exceed twice PRESENCE_HEARTBEAT_MS, or one late heartbeat would drop live users',
    );
  }
  if (e.VOLATILE_BACKPRESSURE_BYTES >= e.MAX_BACKPRESSURE_BYTES) {
    throw new ConfigError(
      'VOLATILE_BACKPRESSURE_BYTES: must be below MAX_BACKPRESSURE_BYTES so volatile traffic is dropped first',
    );
  }
  if (e.DRAIN_GRACE_MS > e.DRAIN_TIMEOUT_MS / 2) {
    throw new ConfigError(
      'DRAIN_GRACE_MS: must be at most half of DRAIN_TIMEOUT_MS, which bounds the whole drain (grace, then commits)',
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    nodeId: e.NODE_ID ?? `${hostname()}-${process.pid}`,
    databaseUrl: e.DATABASE_URL,
    /** `redisClusterNodes`: seed nodes of a Redis Cluster as `redis://host:port` URLs (sharded pub/sub). */
    ...parseRedis(e.REDIS_URL, e.REDIS_CLUSTER_NODES),
    redisChannelPrefix: e.REDIS_CHANNEL_PREFIX,
    // A relative MERIDIAN_DATA_DIR is taken from the working directory, like any path argument.
    dataDir: e.MERIDIAN_DATA_DIR ? path.resolve(e.MERIDIAN_DATA_DIR) : path.join(REPO_ROOT, '.data'),
    /** The token signing secret; undefined when unset, until `withAuthSecret` provides one. */
    authSecret: e.MERIDIAN_AUTH_SECRET,
    allowedOrigins: parseOrigins(e.MERIDIAN_ALLOWED_ORIGINS),
    compression: e.MERIDIAN_COMPRESSION,
    /** Bearer token of GET /admin/connections; unset disables the endpoint (404). */
    adminToken: e.MERIDIAN_ADMIN_TOKEN,
    tokenTtlS: e.TOKEN_TTL_S,
    maxFrameBytes: e.MAX_FRAME_BYTES,
    maxBulkFrameBytes: Math.max(e.MAX_BULK_FRAME_BYTES, e.MAX_FRAME_BYTES),
    idleTimeoutS: e.IDLE_TIMEOUT_S,
    maxBackpressureBytes: e.MAX_BACKPRESSURE_BYTES,
    volatileBackpressureBytes: e.VOLATILE_BACKPRESSURE_BYTES,
    rateLimit: {
      msgsPerS: e.RATE_LIMIT_MSGS_PER_S,
      burst: e.RATE_LIMIT_BURST,
      maxExcess: e.RATE_LIMIT_MAX_EXCESS,
    },
    /** Bulk ops' own budget per connection (admission.ts, `bulkCostKiB`). */
    bulkRate: { kibPerS: e.BULK_RATE_KIB_PER_S, burstKiB: e.BULK_BURST_KIB },
    invalidMessageBudget: e.INVALID_MESSAGE_BUDGET,
    maxInflightOps: e.MAX_INFLIGHT_OPS,
    maxMapQueuedOps: e.MAX_MAP_QUEUED_OPS,
    opTail: { maxOps: e.OP_TAIL_MAX_OPS, maxBytes: e.OP_TAIL_MAX_BYTES },
    helloTimeoutMs: e.HELLO_TIMEOUT_MS,
    maxReplayOps: e.MAX_REPLAY_OPS,
    /** A member resuming this many bytes of records behind (JSON) gets a snapshot instead. */
    maxReplayBytes: e.MAX_REPLAY_BYTES,
    presenceFlushMs: e.PRESENCE_FLUSH_MS,
    /** One presence frame per map per this interval while presence is busy; 0: a frame per change. */
    presenceBatchMs: e.PRESENCE_BATCH_MS,
    presenceHeartbeatMs: e.PRESENCE_HEARTBEAT_MS,
    presenceTtlMs: e.PRESENCE_TTL_MS,
    gapHoldMs: e.GAP_HOLD_MS,
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS,
    /** Time between readiness going off and the listener closing on drain (part of drainTimeoutMs). */
    drainGraceMs: e.DRAIN_GRACE_MS,
    /** Live-feed layers (docs/live-feeds.md). */
    feeds: {
      /** Base URL the WebSub hub calls back (`<publicUrl>/websub/<id>`); undefined: feeds are polled. */
      publicUrl: parsePublicUrl(e.MERIDIAN_PUBLIC_URL),
      /** Hostnames and CIDR ranges a feed or hub URL may reach although they are not public addresses. */
      fetchAllow: parseFetchAllow(e.FEED_FETCH_ALLOW),
      pollIntervalS: e.FEED_POLL_INTERVAL_S,
      /** The lease asked of hubs; hubs may grant another. */
      leaseS: e.FEED_LEASE_S,
      /** Lease of a layer's feed lock: renewed every third of it, and how long a dead holder blocks a takeover. */
      lockTtlS: e.FEED_LOCK_TTL_S,
    },
    logLevel: e.LOG_LEVEL,
  };
});

export type Config = z.output<typeof ConfigSchema>;
export type FeedConfig = Config['feeds'];

/**
 * Parse and validate the environment once, at boot. Throws a ConfigError whose message names
 * each offending variable. No side effects: with no MERIDIAN_AUTH_SECRET, `authSecret` is
 * undefined until `withAuthSecret` (called by index.ts) provides one.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/**
 * The configuration with a signing secret: the configured one, or (embedded, single-node
 * default) one generated once into `<dataDir>/auth-secret` and reused. This is the step that
 * may write a file; index.ts calls it explicitly after loading the configuration.
 */
export function withAuthSecret(config: Config): Config & { authSecret: string } {
  return { ...config, authSecret: resolveAuthSecret(config.authSecret, config.dataDir) };
}
