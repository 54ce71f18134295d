import { getMap, readOps } from '@meridian/db';
import { type ClientMessageOf, ErrorCode, MeridianError, type PresenceEntry } from '@meridian/protocol';
import type { AccessClaims } from '../auth/tokens.ts';
import type { ServerContext } from '../context.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomMember } from '../rooms/room-member.ts';
import { codeOf, sendError } from './replies.ts';
import type { Session } from './session.ts';
import { SessionMember } from './session-member.ts';

/** Leave the current map, if any: presence goes, topics are dropped, the room may close. */
export function leaveRoom(session: Session): void {
  session.joinEpoch++;
  session.joinPending = false;
  const { room, member } = session;
  session.room = null;
  session.role = null;
  session.member = null;
  if (room && member) room.remove(member);
}

/**
 * Join a map: a replay of the missed ops when the client resumes from a recent `lastSeq`,
 * otherwise a snapshot. The socket is a room member (and live ops are buffered for it) before
 * anything is read, so nothing committed meanwhile can fall between the read and the topic.
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
  const client = session.client;
  if (!client || !session.open) return;
  if (session.room) leaveRoom(session);
  const epoch = ++session.joinEpoch;
  const current = () => session.open && !session.closing && session.joinEpoch === epoch;
  session.joinPending = true;
  let room: Room | null = null;
  try {
    room = await ctx.rooms.enter(mapId);
    if (!current()) {
      room.unreserve();
      return;
    }
    const member = new SessionMember(session, claims.role, ctx.outbox);
    room.addJoiner(member);
    // Ops delivered from now on are buffered for this joiner; its snapshot must hold the rest.
    const coverSeq = room.sequencer.deliveredSeq ?? Number.POSITIVE_INFINITY;
    session.room = room;
    session.role = claims.role;
    session.member = member;
    // The server's sweep reads the current claims, so the new expiry applies from now on.
    session.claims = claims;
    const entry: PresenceEntry = {
      clientId: client.clientId,
      name: client.name,
      color: client.color,
      role: claims.role,
      cursor: null,
      viewport: null,
      following: null,
    };
    const { lastSeq } = message;
    const resumed =
      lastSeq !== undefined &&
      (resumeFromTail(ctx, member, room, entry, lastSeq, coverSeq) ||
        (await resume(ctx, member, room, entry, lastSeq, current)));
    if (!resumed && current()) await sendSnapshot(member, room, entry, coverSeq, current);
  } catch (error) {
    // Back to not joined, cleanly: a join sent again on this socket starts from scratch.
    if (room && session.room === room && session.joinEpoch === epoch) leaveRoom(session);
    const { code, message: text, retryAfterMs } = codeOf(ctx, error, 'join');
    sendError(ctx, session, code, text, 'join', mapId, retryAfterMs);
  } finally {
    if (session.joinEpoch === epoch) session.joinPending = false;
  }
}

/**
 * Replay (lastSeq, coverSeq] from the room's in-memory tail, without touching storage, when the
 * tail holds all of it and the gap is within MAX_REPLAY_OPS. `coverSeq` is the room's delivered
 * seq when the session became a joiner: everything after it reaches the session from its joiner
 * buffer. False when storage must decide (a client ahead of this node, or behind the tail).
 */
function resumeFromTail(
  ctx: ServerContext,
  member: RoomMember,
  room: Room,
  entry: PresenceEntry,
  lastSeq: number,
  coverSeq: number,
): boolean {
  if (lastSeq > coverSeq || coverSeq - lastSeq > ctx.config.maxReplayOps) return false;
  const ops = room.tail.range(lastSeq + 1, coverSeq);
  if (!ops) return false;
  room.admit(member, entry);
  member.send({
    type: 'replay',
    mapId: room.mapId,
    fromSeq: lastSeq + 1,
    toSeq: coverSeq,
    ops,
    role: entry.role,
    map: { id: room.mapId, name: room.mapName },
    presence: room.presence.list(),
  });
  sendLayerStatuses(member, room);
  room.completeJoin(member, coverSeq);
  return true;
}

/** Replay (lastSeq, head] from storage when that is short enough; false when a snapshot is needed instead. */
async function resume(
  ctx: ServerContext,
  member: RoomMember,
  room: Room,
  entry: PresenceEntry,
  lastSeq: number,
  current: () => boolean,
): Promise<boolean> {
  const map = await getMap(ctx.db, room.mapId);
  if (!map) throw new MeridianError(ErrorCode.MAP_NOT_FOUND, `no map ${room.mapId}`);
  // A client ahead of the server (a restored database) or too far behind gets a snapshot.
  if (lastSeq > map.seq || map.seq - lastSeq > ctx.config.maxReplayOps) return false;
  const ops = lastSeq < map.seq ? await readOps(ctx.db, room.mapId, lastSeq + 1, map.seq) : [];
  if (!current()) return true;
  if (ops.length !== map.seq - lastSeq) return false;
  room.admit(member, entry);
  member.send({
    type: 'replay',
    mapId: room.mapId,
    fromSeq: lastSeq + 1,
    toSeq: map.seq,
    ops,
    role: entry.role,
    map: { id: map.id, name: map.name },
    presence: room.presence.list(),
  });
  sendLayerStatuses(member, room);
  room.completeJoin(member, map.seq);
  return true;
}

async function sendSnapshot(
  member: RoomMember,
  room: Room,
  entry: PresenceEntry,
  coverSeq: number,
  current: () => boolean,
): Promise<void> {
  const snapshot = await room.snapshots.get(coverSeq);
  if (!snapshot) throw new MeridianError(ErrorCode.MAP_NOT_FOUND, `no map ${room.mapId}`);
  if (!current()) return;
  room.admit(member, entry);
  member.send({
    type: 'snapshot',
    mapId: room.mapId,
    seq: snapshot.seq,
    role: entry.role,
    map: snapshot.map,
    features: snapshot.features,
    layers: snapshot.layers,
    presence: room.presence.list(),
  });
  sendLayerStatuses(member, room);
  room.completeJoin(member, snapshot.seq);
}

/** How each live-feed layer is doing, right after the state that lists the layers. */
function sendLayerStatuses(member: RoomMember, room: Room): void {
  for (const status of room.layerStatuses) {
    member.send({ type: 'layerStatus', mapId: room.mapId, ...status });
  }
}
