import type { CommitResult, Database } from '@meridian/db';
import type { Layer, LayerStatus, Op, OpRecord } from '@meridian/protocol';
import type { Bus } from '../bus/bus.ts';
import type { Logger } from '../logger.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';

/** The client id that server-made ops (feed entries) are committed under. */
export const FEED_CLIENT_ID = 'feed';

/**
 * What the feed subscription manager (feeds/subscriptions.ts) needs from the realtime node, and
 * nothing more: when maps open and close here, the ops applied to them, their layers, a way to
 * commit feed entries like any op, and a way to tell everyone how a layer is doing.
 */
export interface FeedHost {
  /** Fires when this node opens a map's room (first local client). Returns an unsubscribe. */
  onRoomOpened(listener: (mapId: string) => void): () => void;
  /** Fires when this node closes a map's room (last local client left, or the server closed). */
  onRoomClosed(listener: (mapId: string) => void): () => void;
  /** Every op record this node applies for a map, in seq order (local commits and bus deliveries). */
  onRecord(listener: (mapId: string, record: OpRecord) => void): () => void;
  /** The live layers of a map (from the db), in creation order. */
  listLayers(mapId: string): Promise<Layer[]>;
  /**
   * Commit a server op (e.g. `layer.entries`) through the same commit and fan-out path as client
   * ops, under client id `feed`. The caller picks `opId`: the same id again is a `duplicate`, so a
   * redelivery is idempotent. Throws MeridianError(STORAGE_UNAVAILABLE) when the database is down.
   */
  commitServerOp(mapId: string, opId: string, op: Op): Promise<CommitResult>;
  /** Publish a layer status: to this node's clients on the map, cached for joiners, and on the bus. */
  publishLayerStatus(mapId: string, status: LayerStatus): void;
}

export interface FeedHostDeps {
  nodeId: string;
  db: Database;
  bus: Bus;
  rooms: RoomRegistry;
  logger: Logger;
  /** The shared commit-then-fan-out path (the one client ops take). */
  commit(input: { mapId: string; clientId: string; opId: string; op: Op }): Promise<CommitResult>;
}

type Listener<A extends unknown[]> = (...args: A) => void;

/** A set of listeners where one that throws is logged and never stops the others (or the caller). */
export class Listeners<A extends unknown[]> {
  readonly #set = new Set<Listener<A>>();
  readonly #logger: Logger;
  readonly #what: string;

  constructor(logger: Logger, what: string) {
    this.#logger = logger;
    this.#what = what;
  }

  add(listener: Listener<A>): () => void {
    // Wrapped so the same function added twice is two registrations.
    const entry: Listener<A> = (...args) => listener(...args);
    this.#set.add(entry);
    return () => {
      this.#set.delete(entry);
    };
  }

  emit(...args: A): void {
    for (const listener of [...this.#set]) {
      try {
        listener(...args);
      } catch (error) {
        this.#logger.error({ err: error }, `${this.#what} listener failed`);
      }
    }
  }
}
