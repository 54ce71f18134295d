import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

/**
 * Raw SQL on one connection inside one transaction. Migrations need it: their scripts hold many
 * statements, which Prisma's raw queries (prepared statements) cannot run.
 */
export interface ScriptTransaction {
  /** Runs a script of one or more statements without parameters. */
  exec(script: string): Promise<void>;
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
}

export type RunInScriptTransaction = <T>(work: (tx: ScriptTransaction) => Promise<T>) => Promise<T>;

/** What each driver gives the client factory. */
export interface Driver {
  adapter: SqlMigrationAwareDriverAdapterFactory;
  scriptTransaction: RunInScriptTransaction;
  close(): Promise<void>;
}
