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

/** Prisma's code for a unique constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'P2002';
}
