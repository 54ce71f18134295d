import { CloseCode, ErrorCode as Codes, type ErrorCode, MeridianError } from '@meridian/protocol';
import type { ServerContext } from '../context.ts';
import type { Session } from './session.ts';

/** A typed `error` (not about one op); `ref` names the message type it answers. */
export function sendError(
  ctx: ServerContext,
  session: Session,
  code: ErrorCode,
  message: string,
  ref?: string,
  mapId?: string,
): void {
  ctx.metrics.rejects.inc({ code });
  ctx.outbox.send(session, {
    type: 'error',
    code,
    message,
    ...(mapId === undefined ? {} : { mapId }),
    ...(ref === undefined ? {} : { ref: ref.slice(0, 64) }),
  });
}

/** An error for a message that should never have been sent; repeated ones close the connection (1008). */
export function refuseInvalid(
  ctx: ServerContext,
  session: Session,
  code: ErrorCode,
  message: string,
  ref?: string,
): void {
  sendError(ctx, session, code, message, ref);
  if (!session.takeInvalid(ctx.clock.now())) {
    ctx.outbox.close(session, CloseCode.POLICY_VIOLATION, 'too many invalid messages');
  }
}

/** The op changed nothing: tell its sender why. */
export function sendReject(
  ctx: ServerContext,
  session: Session,
  reject: { mapId: string; opId: string; code: ErrorCode; message: string },
): void {
  ctx.metrics.rejects.inc({ code: reject.code });
  ctx.outbox.send(session, { type: 'reject', ...reject });
}

/** The code to answer with for a thrown error: its own when typed, INTERNAL (and a log line) otherwise. */
export function codeOf(
  ctx: ServerContext,
  error: unknown,
  what: string,
): { code: ErrorCode; message: string } {
  if (error instanceof MeridianError) {
    if (error.code !== Codes.STORAGE_UNAVAILABLE) return { code: error.code, message: error.message };
    // The cause names hosts and ports: log it, tell the client only what it can act on.
    ctx.logger.warn({ err: error.message }, `${what}: storage unavailable`);
    return { code: error.code, message: 'storage is unavailable; try again shortly' };
  }
  ctx.logger.error({ err: error }, `${what} failed`);
  return { code: Codes.INTERNAL, message: `${what} failed` };
}
