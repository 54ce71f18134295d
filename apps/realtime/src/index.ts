import { type Config, ConfigError, loadConfig, withAuthSecret } from './env.ts';

/**
 * Entry point: validated config, native uWS binding, database (migrated), bus, listen.
 * SIGTERM/SIGINT drain: readiness off, a grace for the balancer, stop accepting, close clients
 * with 1012, finish commits, exit (server.drain).
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`[realtime] ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  // The one step of configuration that may write a file: the embedded default's signing secret.
  config = withAuthSecret(config);
  // The native binding is loaded on import; report a platform mismatch plainly, not as a stack.
  try {
    await import('uWebSockets.js');
  } catch (error) {
    console.error(
      `[realtime] the uWebSockets.js native binding did not load on ${process.platform}-${process.arch}, Node ${process.versions.node}.\n` +
        `  It needs glibc Linux/macOS/Windows x64 or arm64 and Node 18/20/22/23.\n  ${String(error).split('\n').pop()}`,
    );
    process.exit(1);
  }
  const { openDatabase } = await import('@meridian/db');
  const { createLogger } = await import('./logger.ts');
  const { createMetrics } = await import('./metrics.ts');
  const { createServer } = await import('./server.ts');
  const { createMemoryBus } = await import('./bus/memory-bus.ts');
  const { createRedisBus } = await import('./bus/redis-bus.ts');
  const { createRedisClusterBus } = await import('./bus/redis-cluster-bus.ts');

  const logger = createLogger(config.logLevel, config.nodeId);
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  const metrics = createMetrics({ processMetrics: true, nodeId: config.nodeId });
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    migrate: true,
    onConnectionError: (error) => logger.warn({ err: error.message }, 'database connection error'),
  });
  const channelPrefix = config.redisChannelPrefix;
  const bus = config.redisClusterNodes
    ? await createRedisClusterBus({ rootNodes: config.redisClusterNodes, channelPrefix, logger, metrics })
    : config.redisUrl
      ? await createRedisBus({ url: config.redisUrl, channelPrefix, logger, metrics })
      : createMemoryBus();
  const server = createServer({ config, db, bus, logger, metrics });
  await (await import('./startup-gc.ts')).collectStartupGarbage();
  const port = await server.listen(config.port);
  logger.info({ port, db: db.kind, bus: bus.kind }, 'realtime service ready');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Whatever happens below, the process is gone within the drain bound.
    setTimeout(() => {
      logger.error('drain took too long; exiting');
      process.exit(1);
    }, config.drainTimeoutMs).unref();
    server
      .close()
      .then(() => Promise.allSettled([bus.close(), db.close()]))
      .then(() => {
        logger.info('bye');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('[realtime] failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
