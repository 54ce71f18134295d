import { ErrorCode as Codes, type ErrorCode, MeridianError } from '@meridian/protocol';
import type { ServerContext } from '../context.ts';
import type { Refusal } from './admission-ledger.ts';
import type { Session } from './session.ts';

export type { Refusal } from './admission-ledger.ts';

/**
 * What a client refused with STORAGE_UNAVAILABLE is told to wait before it retries: the database
 * pool needs about this long to notice a server that came back.
 */
export const STORAGE_RETRY_AFTER_MS = 1000;

/** A typed `error` (not about one op); `ref` names the message type it answers, `mapId` its map. */
export function sendError(
  ctx: ServerContext,
  session: Session,
  code: ErrorCode,
  message: string,
  ref?: string,
  mapId?: string,
  retryAfterMs?: number,
): void {
  ctx.metrics.rejects.inc({ code });
  ctx.outbox.send(session, {
    type: 'error',
    code,
    message,
    ...(mapId === undefined ? {} : { mapId }),
    ...(ref === undefined ? {} : { ref: ref.slice(0, 64) }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** The op changed nothing: tell its sender why (and, when the code is transient, when to retry it). */
export function sendReject(
  ctx: ServerContext,
  session: Session,
  reject: { mapId: string; opId: string } & Refusal,
): void {
  ctx.metrics.rejects.inc({ code: reject.code });
  ctx.outbox.send(session, { type: 'reject', ...reject });
}

/** The refusal to answer with for a thrown error: its own code when typed, INTERNAL (and a log line) otherwise. */
export function codeOf(ctx: ServerContext, error: unknown, what: string): Refusal {
  if (error instanceof MeridianError) {
    if (error.code !== Codes.STORAGE_UNAVAILABLE) return { code: error.code, message: error.message };
    // The cause names hosts and ports: log it, tell the client only what it can act on.
    ctx.logger.warn({ err: error.message }, `${what}: storage unavailable`);
    return {
      code: error.code,
      message: 'storage is unavailable; try again shortly',
      retryAfterMs: STORAGE_RETRY_AFTER_MS,
    };
  }
  ctx.logger.error({ err: error }, `${what} failed`);
  return { code: Codes.INTERNAL, message: `${what} failed` };
}
