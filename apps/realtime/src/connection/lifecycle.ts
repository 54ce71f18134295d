import { CloseCode } from '@meridian/protocol';
import type { ServerContext } from '../context.ts';
import type { Session } from './session.ts';

/** setTimeout's ceiling; longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Close with 4003 when the session's token expires, so the client fetches a fresh one. */
export function armTokenExpiry(ctx: ServerContext, session: Session): void {
  if (session.expiryTimer) clearTimeout(session.expiryTimer);
  const remainingMs = session.claims.exp * 1000 - ctx.clock.now();
  session.expiryTimer = setTimeout(
    () => {
      session.expiryTimer = null;
      if (session.claims.exp * 1000 <= ctx.clock.now()) {
        ctx.outbox.close(session, CloseCode.TOKEN_EXPIRED, 'access token expired');
      } else {
        armTokenExpiry(ctx, session);
      }
    },
    Math.min(Math.max(0, remainingMs), MAX_TIMER_MS),
  );
}

/** Close with 4001 unless `hello` arrives in time. */
export function armHelloTimeout(ctx: ServerContext, session: Session): void {
  session.setTimer(ctx.config.helloTimeoutMs, () => {
    if (!session.helloSeen) ctx.outbox.close(session, CloseCode.HELLO_TIMEOUT, 'no hello received in time');
  });
}
