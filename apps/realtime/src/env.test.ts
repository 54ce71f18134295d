import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, withAuthSecret } from './env.ts';

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-env-test-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('has working defaults with no environment at all', () => {
    const dir = dataDir();
    const config = loadConfig({ MERIDIAN_DATA_DIR: dir });
    expect(config).toMatchObject({ port: 4000, host: '0.0.0.0', compression: 'off', maxFrameBytes: 65_536 });
    expect(config.allowedOrigins).toBe('loopback');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
  });

  it('reads the configuration without touching the data folder', () => {
    const dir = dataDir();
    const config = loadConfig({ MERIDIAN_DATA_DIR: dir });
    expect(config.authSecret).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
    expect(loadConfig({ MERIDIAN_DATA_DIR: dir, MERIDIAN_AUTH_SECRET: 's'.repeat(32) }).authSecret).toBe(
      's'.repeat(32),
    );
  });

  it('withAuthSecret generates the secret once into the data folder, mode 0600, and reuses it', () => {
    const dir = dataDir();
    const first = withAuthSecret(loadConfig({ MERIDIAN_DATA_DIR: dir })).authSecret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(withAuthSecret(loadConfig({ MERIDIAN_DATA_DIR: dir })).authSecret).toBe(first);
    const file = path.join(dir, 'auth-secret');
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('withAuthSecret keeps a configured secret and writes nothing', () => {
    const dir = dataDir();
    const config = withAuthSecret(
      loadConfig({ MERIDIAN_DATA_DIR: dir, MERIDIAN_AUTH_SECRET: 'c'.repeat(40) }),
    );
    expect(config.authSecret).toBe('c'.repeat(40));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('fails fast naming the variable', () => {
    const dir = dataDir();
    const attempt = (env: Record<string, string>) => () => loadConfig({ MERIDIAN_DATA_DIR: dir, ...env });
    expect(attempt({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(attempt({ MERIDIAN_AUTH_SECRET: 'short' })).toThrow(/MERIDIAN_AUTH_SECRET/);
    expect(attempt({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
    expect(attempt({ MERIDIAN_COMPRESSION: 'max' })).toThrow(/MERIDIAN_COMPRESSION/);
    expect(attempt({ MERIDIAN_ALLOWED_ORIGINS: 'https://a.example/path' })).toThrow(ConfigError);
    expect(attempt({ PRESENCE_TTL_MS: '1000', PRESENCE_HEARTBEAT_MS: '1000' })).toThrow(/PRESENCE_TTL_MS/);
  });

  it('parses an origin allow-list', () => {
    const config = loadConfig({
      MERIDIAN_DATA_DIR: dataDir(),
      MERIDIAN_ALLOWED_ORIGINS: 'https://maps.example.com, http://localhost:3000',
    });
    expect(config.allowedOrigins).toEqual(['https://maps.example.com', 'http://localhost:3000']);
  });

  it('takes Redis Cluster seed nodes from REDIS_CLUSTER_NODES or a redis+cluster:// REDIS_URL', () => {
    const load = (env: Record<string, string>) => () => loadConfig({ MERIDIAN_DATA_DIR: dataDir(), ...env });
    expect(load({ REDIS_CLUSTER_NODES: 'redis-0:6379, 10.0.0.2:7000' })()).toMatchObject({
      redisUrl: undefined,
      redisClusterNodes: ['redis://redis-0:6379', 'redis://10.0.0.2:7000'],
    });
    expect(load({ REDIS_URL: 'rediss+cluster://u:p@a:1,b:2' })().redisClusterNodes).toEqual([
      'rediss://u:p@a:1',
      'rediss://u:p@b:2',
    ]);
    expect(load({ REDIS_URL: 'redis://r:6379' })()).toMatchObject({
      redisUrl: 'redis://r:6379',
      redisClusterNodes: undefined,
    });
    expect(load({ REDIS_CLUSTER_NODES: 'redis-0' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(load({ REDIS_CLUSTER_NODES: 'a:70000' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(load({ REDIS_CLUSTER_NODES: ' , ' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(load({ REDIS_URL: 'redis+cluster://a:1,b' })).toThrow(/REDIS_URL/);
    expect(load({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'a:1' })).toThrow(/not both/);
  });

  it('reads the live-feed settings: polled by default, a callback base, an allow-list', () => {
    const load = (env: Record<string, string>) => () => loadConfig({ MERIDIAN_DATA_DIR: dataDir(), ...env });
    expect(load({})().feeds).toEqual({
      publicUrl: undefined,
      fetchAllow: [],
      pollIntervalS: 60,
      leaseS: 86_400,
      lockTtlS: 30,
    });
    expect(
      load({
        MERIDIAN_PUBLIC_URL: 'https://rt.example.com/meridian/',
        FEED_FETCH_ALLOW: '127.0.0.1/32, feeds.intranet, ::1/128, 10.0.0.7',
        FEED_POLL_INTERVAL_S: '1',
        FEED_LEASE_S: '3600',
        FEED_LOCK_TTL_S: '3',
      })().feeds,
    ).toEqual({
      publicUrl: 'https://rt.example.com/meridian',
      fetchAllow: ['127.0.0.1/32', 'feeds.intranet', '::1/128', '10.0.0.7'],
      pollIntervalS: 1,
      leaseS: 3600,
      lockTtlS: 3,
    });
    expect(load({ MERIDIAN_PUBLIC_URL: 'ftp://x.example' })).toThrow(/MERIDIAN_PUBLIC_URL/);
    expect(load({ MERIDIAN_PUBLIC_URL: 'https://x.example/?a=1' })).toThrow(/MERIDIAN_PUBLIC_URL/);
    expect(load({ FEED_FETCH_ALLOW: '10.0.0.0/33' })).toThrow(/FEED_FETCH_ALLOW/);
    expect(load({ FEED_FETCH_ALLOW: 'not a host' })).toThrow(/FEED_FETCH_ALLOW/);
    expect(load({ FEED_POLL_INTERVAL_S: '0' })).toThrow(/FEED_POLL_INTERVAL_S/);
    expect(load({ FEED_LEASE_S: '5' })).toThrow(/FEED_LEASE_S/);
    expect(load({ FEED_LOCK_TTL_S: '1' })).toThrow(/FEED_LOCK_TTL_S/);
  });
});
