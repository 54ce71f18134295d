import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { Driver } from './script-transaction.ts';

/** An unreachable server fails the first query after this long instead of hanging it. */
export const CONNECT_TIMEOUT_MS = 3_000;
/**
 * How long a query may wait for a pooled connection when all are busy. pg's Pool bounds this wait
 * with its connectionTimeoutMillis, which it also gives each new connection; here the pool gets this
 * bound and each connection its own CONNECT_TIMEOUT_MS, so a busy pool is not mistaken for a dead server.
 */
export const POOL_WAIT_MS = 10_000;
/** Idle pooled connections close after this long, so a quiet node holds few server slots. */
const IDLE_TIMEOUT_MS = 30_000;

export interface PostgresOptions {
  url: string;
  poolMax?: number;
  onConnectionError: (error: Error) => void;
}

/** A connection whose connect attempt gives up after CONNECT_TIMEOUT_MS, whatever the pool's wait. */
class ConnectBoundClient extends pg.Client {
  constructor(config: pg.ClientConfig = {}) {
    super({ ...config, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  }
}

export function openPostgres(options: PostgresOptions): Driver {
  const pool = new pg.Pool({
    connectionString: options.url,
    Client: ConnectBoundClient,
    connectionTimeoutMillis: POOL_WAIT_MS,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    max: options.poolMax ?? 10,
  });
  // A server restart or a dropped socket surfaces as an 'error' event on the pool (idle clients)
  // or on a checked-out client; without a listener Node would throw it and end the process.
  pool.on('error', options.onConnectionError);
  const adapter = new PrismaPg(pool, {
    onPoolError: options.onConnectionError,
    onConnectionError: options.onConnectionError,
  });

  return {
    adapter,
    async scriptTransaction(work) {
      const client = await pool.connect();
      client.on('error', options.onConnectionError);
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        try {
          const result = await work({
            async exec(script) {
              // No parameters: node-postgres uses the simple protocol, which runs many statements.
              await client.query(script);
            },
            async query<Row>(sql: string, params: unknown[] = []) {
              const result = await client.query(sql, params);
              return result.rows as Row[];
            },
          });
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch((rollbackError: Error) => {
            broken = rollbackError;
          });
          throw error;
        }
      } finally {
        client.off('error', options.onConnectionError);
        // A connection that could not roll back is discarded rather than reused mid-transaction.
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
