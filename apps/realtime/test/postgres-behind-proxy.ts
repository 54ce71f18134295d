import { createDataDir, createPostgresDatabase, POSTGRES_URL, uniqueName } from './databases.ts';
import { type ClusterNode, startClusterNode } from './harness.ts';
import { TcpProxy } from './tcp-proxy.ts';

/**
 * A node whose Postgres (a fresh database of its own) is reached through a TCP proxy the test
 * controls (`proxy.cut()`, `stall()`, `restore()`), for storage faults. Everything it starts is
 * pushed onto `cleanups` in the order it must be undone from the end.
 */
export async function startNodeBehindPostgresProxy(
  cleanups: (() => Promise<unknown> | unknown)[],
  prefix: string,
): Promise<{ node: ClusterNode; proxy: TcpProxy; databaseUrl: string }> {
  const database = await createPostgresDatabase();
  cleanups.push(() => database.drop());
  const data = await createDataDir();
  cleanups.push(() => data.remove());
  const proxy = await TcpProxy.start(Number(new URL(POSTGRES_URL).port || 5432));
  cleanups.push(() => proxy.close());
  const viaProxy = new URL(database.url);
  viaProxy.port = String(proxy.port);
  const node = await startClusterNode({
    databaseUrl: viaProxy.toString(),
    redisPrefix: `${uniqueName(prefix)}:`,
    dataDir: data.dir,
  });
  cleanups.push(() => node.stop());
  return { node, proxy, databaseUrl: database.url };
}
