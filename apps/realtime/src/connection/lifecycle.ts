import { CloseCode } from '@meridian/protocol';
import type { ServerContext } from '../context.ts';
import type { Session } from './session.ts';

/** Close with 4001 unless `hello` arrives in time. */
export function armHelloTimeout(ctx: ServerContext, session: Session): void {
  session.helloTimer = setTimeout(() => {
    session.helloTimer = null;
    if (session.state.kind === 'greeting')
      ctx.outbox.close(session, CloseCode.HELLO_TIMEOUT, 'no hello received in time');
  }, ctx.config.helloTimeoutMs);
}

/** `hello` came: the timeout has nothing left to do, so it is released now rather than when it fires. */
export function disarmHelloTimeout(session: Session): void {
  if (session.helloTimer) clearTimeout(session.helloTimer);
  session.helloTimer = null;
}

/**
 * The server's periodic look at every open session (every SESSION_SWEEP_MS): close with 4003 a
 * session whose token expired, so the client fetches a fresh one, and close slow consumers.
 * One sweep instead of a timer per session: an idle connection then costs no timer at all, and
 * the current claims are read each time, whichever of upgrade, `hello` or `join` set them last.
 */
export function sweepSession(ctx: ServerContext, session: Session, nowMs: number): void {
  if (!session.isOpen) return;
  if (session.claims.exp * 1000 <= nowMs) {
    ctx.outbox.close(session, CloseCode.TOKEN_EXPIRED, 'access token expired');
    return;
  }
  ctx.outbox.checkSlowConsumer(session);
}
