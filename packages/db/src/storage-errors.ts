import { ErrorCode, MeridianError } from '@meridian/protocol';

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The database could not be reached or failed: callers answer with a typed STORAGE_UNAVAILABLE. */
export function storageUnavailable(what: string, error: unknown): MeridianError {
  const wrapped = new MeridianError(ErrorCode.STORAGE_UNAVAILABLE, `${what}: ${describe(error)}`);
  wrapped.cause = error;
  return wrapped;
}

/** Runs a storage call; anything it throws that is not already typed becomes STORAGE_UNAVAILABLE. */
export async function withStorage<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof MeridianError) throw error;
    throw storageUnavailable(what, error);
  }
}

/**
 * A unique constraint violation: Prisma's P2002 from a model query, or Postgres' 23505 carried by
 * P2010 from a raw one (the op log's rows are written with raw SQL).
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  if (error.code === 'P2002') return true;
  if (error.code !== 'P2010' || !('meta' in error)) return false;
  const meta = error.meta as { driverAdapterError?: { cause?: { originalCode?: string } } } | undefined;
  return meta?.driverAdapterError?.cause?.originalCode === '23505';
}
