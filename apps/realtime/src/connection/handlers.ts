import { type CommitResult, readOps } from '@meridian/db';
import {
  type ClientMessage,
  type ClientMessageOf,
  type ClientMessageType,
  CloseCode,
  ErrorCode,
  FEED_CLIENT_ID,
  LIMITS,
  PROTOCOL_VERSION,
} from '@meridian/protocol';
import type { ServerContext } from '../context.ts';
import { commitTracked, fanOut } from '../rooms/commit-op.ts';
import { join, leaveRoom } from './join.ts';
import { codeOf, refuseInvalid, sendError, sendReject } from './replies.ts';
import { MAX_QUEUED_TASKS, type Session } from './session.ts';

interface HandlerSpec<T extends ClientMessageType> {
  /**
   * Runs after the connection's earlier ordered tasks: it awaits storage, and the client relies
   * on its messages taking effect in the order sent (a join before the ops that follow it).
   */
  ordered: boolean;
  run(ctx: ServerContext, session: Session, message: ClientMessageOf<T>): void | Promise<void>;
}

type HandlerTable = { [T in ClientMessageType]: HandlerSpec<T> };

/** The room of `mapId` if this session is on it; otherwise answers NOT_JOINED and returns null. */
function joinedRoom(ctx: ServerContext, session: Session, mapId: string, ref: string) {
  const room = session.room;
  if (room && room.mapId === mapId && !session.joinPending) return room;
  sendError(ctx, session, ErrorCode.NOT_JOINED, `join map ${mapId} first`, ref, mapId);
  return null;
}

const handlers: HandlerTable = {
  hello: {
    ordered: true,
    run(ctx, session, message) {
      if (session.client) {
        refuseInvalid(ctx, session, ErrorCode.INVALID_MESSAGE, 'hello was already received', 'hello');
        return;
      }
      if (message.v !== PROTOCOL_VERSION) {
        sendError(
          ctx,
          session,
          ErrorCode.UNSUPPORTED_VERSION,
          `this server speaks protocol v${PROTOCOL_VERSION}`,
          'hello',
        );
        ctx.outbox.close(
          session,
          CloseCode.UNSUPPORTED_PROTOCOL_VERSION,
          `protocol v${message.v} unsupported; server speaks v${PROTOCOL_VERSION}`,
        );
        return;
      }
      if (message.token !== undefined) {
        const verified = ctx.tokens.verify(message.token);
        if (!verified.ok) {
          sendError(ctx, session, ErrorCode.TOKEN_INVALID, `the hello token is ${verified.reason}`, 'hello');
          return;
        }
        session.claims = verified.claims;
      }
      session.client = { clientId: message.clientId, name: message.name, color: message.color };
      ctx.outbox.send(session, {
        type: 'welcome',
        v: PROTOCOL_VERSION,
        clientId: message.clientId,
        nodeId: ctx.config.nodeId,
        serverTime: ctx.clock.now(),
        maxFrameBytes: ctx.config.maxFrameBytes,
      });
    },
  },
  join: { ordered: true, run: join },
  leave: {
    ordered: true,
    run(ctx, session, message) {
      if (joinedRoom(ctx, session, message.mapId, 'leave')) leaveRoom(session);
    },
  },
  op: {
    ordered: true,
    async run(ctx, session, message) {
      const { mapId, opId, op } = message;
      const room = session.room;
      if (!room || room.mapId !== mapId) {
        // A reject (not an error) so the client drops the op from its pending queue.
        sendReject(ctx, session, {
          mapId,
          opId,
          code: ErrorCode.NOT_JOINED,
          message: `join map ${mapId} first`,
        });
        return;
      }
      if (session.role !== 'edit') {
        sendReject(ctx, session, {
          mapId,
          opId,
          code: ErrorCode.FORBIDDEN,
          message: 'this share link is view-only',
        });
        return;
      }
      if (op.kind === 'layer.entries' || session.clientId === FEED_CLIENT_ID) {
        // Feed entries come from the feed the server subscribed to, never from a browser; and a
        // browser calling itself `feed` could claim op ids the server is about to use.
        sendReject(ctx, session, {
          mapId,
          opId,
          code: ErrorCode.FORBIDDEN,
          message:
            op.kind === 'layer.entries'
              ? 'only the server adds feed entries'
              : `the client id ${FEED_CLIENT_ID} is reserved for the server`,
        });
        return;
      }
      let result: CommitResult;
      try {
        result = await commitTracked(ctx, { mapId, clientId: session.clientId, opId, op });
      } catch (error) {
        sendReject(ctx, session, { mapId, opId, ...codeOf(ctx, error, 'commit') });
        return;
      }
      if (result.status === 'rejected') {
        sendReject(ctx, session, { mapId, opId, code: result.code, message: result.message });
        return;
      }
      const { record } = result;
      ctx.outbox.send(session, {
        type: 'ack',
        mapId,
        opId,
        seq: record.seq,
        ...(result.status === 'duplicate' ? { duplicate: true } : {}),
      });
      fanOut(ctx, mapId, record);
    },
  },
  sync: {
    ordered: true,
    async run(ctx, session, message) {
      const { mapId, fromSeq } = message;
      if (!joinedRoom(ctx, session, mapId, 'sync')) return;
      const toSeq = Math.min(message.toSeq, fromSeq + LIMITS.MAX_SYNC_RANGE - 1);
      try {
        const ops = await readOps(ctx.db, mapId, fromSeq, toSeq);
        ctx.outbox.send(session, { type: 'replay', mapId, fromSeq, toSeq, ops });
      } catch (error) {
        const { code, message: text } = codeOf(ctx, error, 'sync');
        sendError(ctx, session, code, text, 'sync', mapId);
      }
    },
  },
  presence: {
    ordered: false,
    run(ctx, session, message) {
      const room = joinedRoom(ctx, session, message.mapId, 'presence');
      if (!room) return;
      room.updatePresence(session, {
        ...(message.cursor === undefined ? {} : { cursor: message.cursor }),
        ...(message.viewport === undefined ? {} : { viewport: message.viewport }),
        ...(message.name === undefined ? {} : { name: message.name }),
        ...(message.color === undefined ? {} : { color: message.color }),
      });
    },
  },
  follow: {
    ordered: false,
    run(ctx, session, message) {
      joinedRoom(ctx, session, message.mapId, 'follow')?.updatePresence(session, {
        following: message.target,
      });
    },
  },
  summon: {
    ordered: false,
    run(ctx, session, message) {
      const room = joinedRoom(ctx, session, message.mapId, 'summon');
      if (!room) return;
      if (session.role !== 'edit') {
        sendError(
          ctx,
          session,
          ErrorCode.FORBIDDEN,
          'summoning everyone needs the edit role',
          'summon',
          message.mapId,
        );
        return;
      }
      room.summon(session, message.viewport);
    },
  },
  ping: {
    ordered: false,
    run(ctx, session, message) {
      ctx.outbox.send(session, { type: 'pong', t: message.t, serverTime: ctx.clock.now() });
    },
  },
};

/** Route one parsed message to its handler, in order when it must be. Never throws. */
export function dispatch(ctx: ServerContext, session: Session, message: ClientMessage): void {
  if (message.type === 'hello') session.helloSeen = true;
  else if (!session.helloSeen) {
    refuseInvalid(ctx, session, ErrorCode.HELLO_REQUIRED, 'send hello first', message.type);
    return;
  }
  const spec = handlers[message.type] as HandlerSpec<ClientMessageType>;
  const run = spec.run as (
    ctx: ServerContext,
    session: Session,
    message: ClientMessage,
  ) => void | Promise<void>;
  // A presence or follow sent right after `join` waits for that join instead of failing NOT_JOINED.
  const waitForJoin = session.joinPending && 'mapId' in message;
  if (!spec.ordered && !waitForJoin) {
    safely(ctx, message.type, () => run(ctx, session, message));
    return;
  }
  if (session.queued >= MAX_QUEUED_TASKS) {
    sendError(ctx, session, ErrorCode.RATE_LIMITED, 'too many requests in flight', message.type);
    return;
  }
  void session.enqueue(async () => {
    if (session.open && !session.closing) await safely(ctx, message.type, () => run(ctx, session, message));
  });
}

/** Run a handler; anything it throws is logged, never allowed to reach uWS. */
async function safely(ctx: ServerContext, type: string, work: () => void | Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    ctx.logger.error({ err: error, type }, 'message handler failed');
  }
}
