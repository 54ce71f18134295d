import type { CommitResult } from '@meridian/db';
import {
  type ClientMessage,
  type ClientMessageOf,
  type ClientMessageType,
  CloseCode,
  ErrorCode,
  FEED_CLIENT_ID,
  LIMITS,
  type Op,
  oversizedFeature,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@meridian/protocol';
import type { ServerContext } from '../context.ts';
import { commitTracked, fanOut } from '../rooms/commit-op.ts';
import { splitByBytes } from '../rooms/op-tail.ts';
import {
  acceptOp,
  bytesCost,
  chargeBulk,
  chargeMessage,
  isBulkOp,
  JOIN_COST,
  opCost,
  refuseInvalid,
  refuseOverloaded,
  syncCost,
} from './admission.ts';
import { join, leaveRoom } from './join.ts';
import { codeOf, sendError, sendReject } from './replies.ts';
import { type AcceptedOp, MAX_QUEUED_TASKS, type Session } from './session.ts';

interface HandlerSpec<T extends ClientMessageType> {
  /**
   * Runs after the connection's earlier ordered tasks: it awaits storage, and the client relies
   * on its messages taking effect in the order sent (a join before the ops that follow it).
   */
  ordered: boolean;
  /**
   * What the message weighs against the connection's rate limit (a presence update is 1), from
   * what it will make this node do; `bytes` is the frame's size.
   */
  cost(message: ClientMessageOf<T>, bytes: number): number;
  run(ctx: ServerContext, session: Session, message: ClientMessageOf<T>): void | Promise<void>;
}

type HandlerTable = { [T in ClientMessageType]: HandlerSpec<T> };

/** The room of `mapId` and this session's membership if it is on it; otherwise answers NOT_JOINED and returns null. */
function joinedRoom(ctx: ServerContext, session: Session, mapId: string, ref: string) {
  const { room, member } = session;
  if (room && member && room.mapId === mapId && session.joined) return { room, member };
  sendError(ctx, session, ErrorCode.NOT_JOINED, `join map ${mapId} first`, ref, mapId);
  return null;
}

/** The weight of a small message: one token, plus its size. */
const small = (_message: unknown, bytes: number) => 1 + bytesCost(bytes);

const handlers: HandlerTable = {
  hello: {
    ordered: true,
    cost: small,
    run(ctx, session, message) {
      if (session.client) {
        refuseInvalid(ctx, session, ErrorCode.INVALID_MESSAGE, 'hello was already received', 'hello');
        return;
      }
      if (!SUPPORTED_PROTOCOL_VERSIONS.includes(message.v)) {
        const spoken = SUPPORTED_PROTOCOL_VERSIONS.map((v) => `v${v}`).join(', ');
        sendError(
          ctx,
          session,
          ErrorCode.UNSUPPORTED_VERSION,
          `this server speaks protocol ${spoken}`,
          'hello',
        );
        ctx.outbox.close(
          session,
          CloseCode.UNSUPPORTED_PROTOCOL_VERSION,
          `protocol v${message.v} unsupported; server speaks ${spoken}`,
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
      session.client = {
        clientId: message.clientId,
        personId: message.personId ?? message.clientId,
        name: message.name,
        color: message.color,
        v: message.v,
      };
      ctx.outbox.send(session, {
        type: 'welcome',
        // The version this session speaks: the client's own, when the server speaks it too.
        v: message.v,
        clientId: message.clientId,
        nodeId: ctx.config.nodeId,
        serverTime: ctx.clock.now(),
        maxFrameBytes: ctx.config.maxFrameBytes,
        maxBulkFrameBytes: ctx.config.maxBulkFrameBytes,
      });
    },
  },
  join: { ordered: true, cost: (_message, bytes) => JOIN_COST + bytesCost(bytes), run: join },
  leave: {
    ordered: true,
    cost: small,
    run(ctx, session, message) {
      if (joinedRoom(ctx, session, message.mapId, 'leave')) leaveRoom(session);
    },
  },
  op: {
    ordered: true,
    cost: opCost,
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
      if (session.member?.role !== 'edit') {
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
      const oversized = op.kind === 'features.import' ? oversizedFeature(op.features) : null;
      if (oversized) {
        sendReject(ctx, session, { mapId, opId, code: ErrorCode.INVALID_MESSAGE, message: oversized });
        return;
      }
      let result: CommitResult;
      const startedAt = performance.now();
      try {
        result = await commitTracked(ctx, {
          mapId,
          clientId: session.clientId,
          opId,
          op: stampAuthor(session, op),
        });
      } catch (error) {
        sendReject(ctx, session, { mapId, opId, ...codeOf(ctx, error, 'commit') });
        return;
      } finally {
        ctx.admission.recordCommit(performance.now() - startedAt);
      }
      if (result.status === 'rejected') {
        sendReject(ctx, session, { mapId, opId, code: result.code, message: result.message });
        return;
      }
      const { record } = result;
      // An edit lists its author (audience mode: idle editors are only counted until they act).
      if (session.member && session.room?.mapId === mapId) session.room.markActive(session.member);
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
    cost: syncCost,
    async run(ctx, session, message) {
      const { mapId, fromSeq } = message;
      const room = joinedRoom(ctx, session, mapId, 'sync')?.room;
      if (!room) return;
      const toSeq = Math.min(message.toSeq, fromSeq + LIMITS.MAX_SYNC_RANGE - 1);
      try {
        const ops = await room.readOps(fromSeq, toSeq);
        // Bounded by bytes too (a few bulk records are megabytes): the client asks for the rest.
        const { count } = splitByBytes(ops, ctx.config.maxBackpressureBytes / 2);
        const sent = count === ops.length ? ops : ops.slice(0, count);
        const sentTo = count === ops.length ? toSeq : fromSeq + count - 1;
        ctx.outbox.send(session, { type: 'replay', mapId, fromSeq, toSeq: sentTo, ops: sent });
      } catch (error) {
        const { code, message: text, retryAfterMs } = codeOf(ctx, error, 'sync');
        sendError(ctx, session, code, text, 'sync', mapId, retryAfterMs);
      }
    },
  },
  presence: {
    ordered: false,
    cost: small,
    run(ctx, session, message) {
      const joined = joinedRoom(ctx, session, message.mapId, 'presence');
      if (!joined) return;
      joined.room.updatePresence(joined.member, {
        ...(message.cursor === undefined ? {} : { cursor: message.cursor }),
        ...(message.viewport === undefined ? {} : { viewport: message.viewport }),
        ...(message.name === undefined ? {} : { name: message.name }),
      });
    },
  },
  follow: {
    ordered: false,
    cost: small,
    run(ctx, session, message) {
      const joined = joinedRoom(ctx, session, message.mapId, 'follow');
      joined?.room.updatePresence(joined.member, { following: message.target });
    },
  },
  summon: {
    ordered: false,
    cost: small,
    run(ctx, session, message) {
      const joined = joinedRoom(ctx, session, message.mapId, 'summon');
      if (!joined) return;
      if (joined.member.role !== 'edit') {
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
      joined.room.summon(joined.member, message.viewport);
    },
  },
  ping: {
    ordered: false,
    cost: small,
    run(ctx, session, message) {
      ctx.outbox.send(session, { type: 'pong', t: message.t, serverTime: ctx.clock.now() });
    },
  },
};

/**
 * Charge one parsed message (of `bytes` on the wire) against its connection's limits, then route
 * it to its handler, in order when it must be. Runs inside the uWS message callback, so a refusal
 * is decided before any work is queued. Never throws.
 */
export function dispatch(ctx: ServerContext, session: Session, message: ClientMessage, bytes: number): void {
  if (message.type === 'hello') session.helloRead();
  else if (session.state.kind === 'greeting') {
    refuseInvalid(ctx, session, ErrorCode.HELLO_REQUIRED, 'send hello first', message.type);
    return;
  }
  const spec = handlers[message.type] as HandlerSpec<ClientMessageType>;
  const cost = spec.cost as (message: ClientMessage, bytes: number) => number;
  const run = spec.run as (
    ctx: ServerContext,
    session: Session,
    message: ClientMessage,
  ) => void | Promise<void>;
  const admitted = isBulkOp(message)
    ? chargeBulk(ctx, session, message, bytes)
    : chargeMessage(ctx, session, message, cost(message, bytes));
  if (!admitted) return;
  // A presence or follow sent right after `join` waits for that join instead of failing NOT_JOINED.
  const waitForJoin = session.state.kind === 'joining' && 'mapId' in message;
  if (!spec.ordered && !waitForJoin) {
    safely(ctx, message.type, () => run(ctx, session, message));
    return;
  }
  // An op is counted in flight from now until it is answered; beyond the bounds it is refused now.
  let accepted: AcceptedOp | null = null;
  if (message.type === 'op') {
    accepted = acceptOp(ctx, session, message);
    if (!accepted) return;
  } else if (session.queued >= MAX_QUEUED_TASKS) {
    refuseOverloaded(ctx, session, message);
    return;
  }
  // A bulk op's turn ends once its commit is queued on its map, not once it is committed: the
  // map's commit lane keeps the order (seq = arrival order), and the import's next chunks, queued
  // behind it meanwhile, are committed together in one transaction (one durable flush for
  // several chunks instead of one each). It still counts as in flight until answered.
  const pipelined = isBulkOp(message);
  void session.enqueue(async () => {
    let settling: Promise<void> | null = null;
    try {
      // Abandoned while it waited (the connection is being closed for abuse): already answered.
      if (accepted && !session.startOp(accepted)) return;
      if (session.isActive) {
        // The handler runs synchronously up to its commit being queued on the map.
        const handled = safely(ctx, message.type, () => run(ctx, session, message));
        if (pipelined) settling = handled;
        else await handled;
      }
    } finally {
      const op = accepted;
      if (op && settling) void settling.finally(() => ctx.admission.release(session, op));
      else if (op) ctx.admission.release(session, op);
    }
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

/**
 * A bulk op carries its author's name as this server knows them (whatever the client wrote), so
 * its record names them to everyone, listed or only counted: one name per chunk, not per feature.
 */
function stampAuthor(session: Session, op: Op): Op {
  if (op.kind !== 'features.import' && op.kind !== 'features.delete') return op;
  const name = session.member?.name ?? session.client?.name;
  const { by: _claimed, ...rest } = op;
  return name ? { ...rest, by: { name } } : rest;
}
