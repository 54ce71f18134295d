import type { ClientMessageOf } from '@meridian/protocol';
import { ErrorCode } from '@meridian/protocol';
import type { AccessClaims } from '../auth/tokens.ts';
import type { ServerContext } from '../context.ts';
import { codeOf, sendError } from './replies.ts';
import type { Session } from './session.ts';
import { SessionMember } from './session-member.ts';

/** Leave the current map, if any: presence goes, topics are dropped, the room may close. */
export function leaveRoom(session: Session): void {
  const left = session.leave();
  left?.room.remove(left.member);
}

/**
 * Join a map: the token and its role are checked here; the room decides between a replay of the
 * missed ops and a snapshot (Room.join).
 */
export async function join(
  ctx: ServerContext,
  session: Session,
  message: ClientMessageOf<'join'>,
): Promise<void> {
  const { mapId } = message;
  let claims: AccessClaims = session.claims;
  if (message.token !== undefined) {
    const verified = ctx.tokens.verify(message.token);
    if (!verified.ok) {
      sendError(ctx, session, ErrorCode.TOKEN_INVALID, `the join token is ${verified.reason}`, 'join', mapId);
      return;
    }
    claims = verified.claims;
  }
  if (claims.mapId !== mapId) {
    sendError(ctx, session, ErrorCode.FORBIDDEN, 'the token is for another map', 'join', mapId);
    return;
  }
  if (!session.client) return;
  leaveRoom(session);
  const joining = session.startJoin(mapId);
  if (!joining) return;
  try {
    const room = await ctx.rooms.enter(mapId);
    const member = new SessionMember(session, claims.role, ctx.outbox);
    if (!session.enterRoom(joining, room, member)) {
      room.unreserve();
      return;
    }
    // The server's sweep reads the current claims, so the new expiry applies from now on.
    session.claims = claims;
    await room.join(member, message.lastSeq);
    session.finishJoin(joining);
  } catch (error) {
    // Back to not joined, cleanly: a join sent again on this socket starts from scratch.
    if (session.state === joining) leaveRoom(session);
    const { code, message: text, retryAfterMs } = codeOf(ctx, error, 'join');
    sendError(ctx, session, code, text, 'join', mapId, retryAfterMs);
  }
}
