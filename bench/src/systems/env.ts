/**
 * Configuration shared by the peer servers, read once at boot. The load generator
 * starts them with these variables; a missing or malformed one stops the process
 * with a message naming it.
 */
export interface PeerEnv {
  port: number;
  nodeId: string;
  /** Absent for a single node that needs no bus. */
  redisUrl: string | null;
  /** Prefix for every Redis channel, unique per run so runs never hear each other. */
  channelPrefix: string;
}

function fail(message: string): never {
  process.stderr.write(`config: ${message}\n`);
  process.exit(78);
}

export function readPeerEnv(env: NodeJS.ProcessEnv = process.env): PeerEnv {
  const port = Number(env.PORT);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) fail('PORT must be a TCP port number');
  const nodeId = env.NODE_ID ?? '';
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(nodeId)) fail('NODE_ID must be 1-32 letters, digits, _ or -');
  const redisUrl = env.REDIS_URL ?? null;
  if (redisUrl !== null && !redisUrl.startsWith('redis://')) fail('REDIS_URL must be a redis:// URL');
  const channelPrefix = env.BENCH_CHANNEL_PREFIX ?? 'bench';
  if (!/^[A-Za-z0-9_:-]{1,64}$/.test(channelPrefix))
    fail('BENCH_CHANNEL_PREFIX must be 1-64 letters, digits, _, : or -');
  return { port, nodeId, redisUrl, channelPrefix };
}

/** Room named by the `room` query parameter; every client of a run shares it unless told otherwise. */
export function roomFromQuery(value: string | null | undefined): string {
  return value && /^[A-Za-z0-9_-]{1,64}$/.test(value) ? value : 'bench';
}

/**
 * Keeps a node alive through bus errors, as a production server's error handler would: a
 * Redis command that times out under overload (node-redis gives up after 5 s) is counted
 * and logged at most once a second instead of ending the process.
 */
export function survive(what: string): (error: unknown) => void {
  let lastLogMs = 0;
  let count = 0;
  const report = (error: unknown) => {
    count++;
    const now = Date.now();
    if (now - lastLogMs < 1_000) return;
    lastLogMs = now;
    process.stderr.write(
      `${what}: ${count} error(s) so far; latest: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  };
  process.on('unhandledRejection', report);
  return report;
}

/** Stop on SIGTERM/SIGINT: the load generator always ends its servers this way. */
export function onShutdown(stop: () => Promise<void> | void): void {
  const handler = () => {
    Promise.resolve(stop()).finally(() => process.exit(0));
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
