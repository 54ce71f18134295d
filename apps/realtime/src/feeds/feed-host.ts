import { type CommitResult, listLayers } from '@meridian/db';
import { FEED_CLIENT_ID, type FeedLayer, type LayerStatus, type Op, type OpRecord } from '@meridian/protocol';
import { createNanoEvents } from 'nanoevents';
import type { Logger } from '../logger.ts';
import { type CommitPath, commitTracked, fanOut } from '../rooms/commit-op.ts';
import { LayerStatusCache } from './layer-status-cache.ts';

/**
 * What the feed subscription manager (feeds/subscriptions.ts) needs from the realtime node, and
 * nothing more: when maps open and close here, the ops applied to them, their layers, a way to
 * commit feed entries like any op, and a way to tell everyone how a layer is doing.
 */
export interface FeedHost {
  /**
   * Fires when this node opens a map's room (first local client), once the room is on the map's
   * bus channel and knows its seq. Returns an unsubscribe.
   */
  onRoomOpened(listener: (mapId: string) => void): () => void;
  /** Fires when this node closes a map's room (last local client left, or the server closed). */
  onRoomClosed(listener: (mapId: string) => void): () => void;
  /**
   * Every op record this node applies for a map, in seq order (local commits and bus deliveries),
   * while the map's room is open here (between onRoomOpened and onRoomClosed).
   */
  onRecord(listener: (mapId: string, record: OpRecord) => void): () => void;
  /** The live feed layers of a map (from the db), in creation order (user layers have no feed). */
  listLayers(mapId: string): Promise<FeedLayer[]>;
  /**
   * Commit a server op (e.g. `layer.entries`) through the same commit and fan-out path as client
   * ops, under client id `feed`. The caller picks `opId`: the same id again is a `duplicate`, so a
   * redelivery is idempotent. Throws MeridianError(STORAGE_UNAVAILABLE) when the database is down.
   */
  commitServerOp(mapId: string, opId: string, op: Op): Promise<CommitResult>;
  /** Publish a layer status: to this node's clients on the map, cached for joiners, and on the bus. */
  publishLayerStatus(mapId: string, status: LayerStatus): void;
}

/** What the feed host tells its listeners. */
interface FeedHostEvents {
  roomOpened(mapId: string): void;
  roomClosed(mapId: string): void;
  record(mapId: string, record: OpRecord): void;
}

/** Longest `detail` the protocol carries; longer words from a feed or hub are cut, not refused. */
const MAX_DETAIL_CHARS = 500;

/** The FeedHost of a node, built on its room registry, commit path and bus. */
export function createFeedHost(path: CommitPath, logger: Logger): FeedHost {
  const events = createNanoEvents<FeedHostEvents>();
  /** A listener that throws is logged and never stops the others (or the room that emits). */
  const guarded =
    <A extends unknown[]>(what: string, listener: (...args: A) => void) =>
    (...args: A): void => {
      try {
        listener(...args);
      } catch (error) {
        logger.error({ err: error }, `${what} listener failed`);
      }
    };
  const statuses = new LayerStatusCache(path.bus, path.config.nodeId);
  // First: a layer.remove is in the cache before the feed manager hears of it.
  path.rooms.observe(statuses.observer);
  path.rooms.observe({
    opened: (mapId) => events.emit('roomOpened', mapId),
    closed: (mapId) => events.emit('roomClosed', mapId),
    record: (room, record) => events.emit('record', room.mapId, record),
  });
  return {
    onRoomOpened: (listener) => events.on('roomOpened', guarded('room opened', listener)),
    onRoomClosed: (listener) => events.on('roomClosed', guarded('room closed', listener)),
    onRecord: (listener) => events.on('record', guarded('record', listener)),
    listLayers: async (mapId) =>
      (await listLayers(path.db, mapId)).filter((layer): layer is FeedLayer => layer.kind === 'feed'),
    async commitServerOp(mapId, opId, op) {
      const result = await commitTracked(path, { mapId, clientId: FEED_CLIENT_ID, opId, op });
      if (result.status !== 'rejected') fanOut(path, mapId, result.record);
      return result;
    },
    publishLayerStatus(mapId, status) {
      const clean: LayerStatus = {
        ...status,
        detail:
          status.detail.length > MAX_DETAIL_CHARS
            ? `${status.detail.slice(0, MAX_DETAIL_CHARS - 1)}…`
            : status.detail,
      };
      const room = path.rooms.get(mapId);
      if (room) statuses.set(room, clean, true);
      path.bus.publish({ type: 'layerStatus', mapId, nodeId: path.config.nodeId, ...clean });
    },
  };
}
