import type { LayerStatus } from '@meridian/protocol';
import type { Bus } from '../bus/bus.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomObserver } from '../rooms/room-registry.ts';

/** What this node knows of one open map's live-feed layers. */
interface MapStatuses {
  /** The latest status of each layer. */
  latest: Map<string, LayerStatus>;
  /** Layers whose status this node published (it holds their feed). */
  own: Set<string>;
  /**
   * Layers removed while the room was open: a status about one (a fetch that was in flight when
   * it went) is dropped. Layer ids are never reused, so this never hides a newer layer.
   */
  removed: Set<string>;
}

/**
 * The latest status of each live-feed layer of the maps open on this node. A change is told to
 * the map's members on this node; each member gets them all right after its snapshot or replay;
 * a peer that just opened the map is told those whose feed this node holds. Kept per room, so a
 * map's statuses go when its room closes here (as they did while the room held them).
 */
export class LayerStatusCache {
  readonly #maps = new WeakMap<Room, MapStatuses>();
  readonly #bus: Bus;
  readonly #nodeId: string;
  /** The room hooks that keep the cache: register with RoomRegistry.observe. */
  readonly observer: RoomObserver;

  constructor(bus: Bus, nodeId: string) {
    this.#bus = bus;
    this.#nodeId = nodeId;
    this.observer = {
      layerStatus: (room, status) => this.set(room, status, false),
      stateRequested: (room) => {
        const statuses = this.#maps.get(room);
        if (!statuses) return;
        for (const layerId of statuses.own) {
          const status = statuses.latest.get(layerId);
          if (status)
            this.#bus.publish({ type: 'layerStatus', mapId: room.mapId, nodeId: this.#nodeId, ...status });
        }
      },
      catchUp: (room) =>
        [...(this.#maps.get(room)?.latest.values() ?? [])].map((status) => ({
          type: 'layerStatus' as const,
          mapId: room.mapId,
          ...status,
        })),
      record: (room, record) => {
        if (record.op.kind !== 'layer.remove') return;
        const statuses = this.#of(room);
        statuses.removed.add(record.op.id);
        statuses.latest.delete(record.op.id);
        statuses.own.delete(record.op.id);
      },
    };
  }

  /**
   * Remember a layer's latest status and tell the room's members (never dropped as volatile).
   * `own`: this node published it (it holds the feed), so it answers peers' requests.
   */
  set(room: Room, status: LayerStatus, own: boolean): void {
    const statuses = this.#of(room);
    if (statuses.removed.has(status.layerId)) return;
    statuses.latest.set(status.layerId, status);
    if (own) statuses.own.add(status.layerId);
    else statuses.own.delete(status.layerId);
    room.broadcast({ type: 'layerStatus', mapId: room.mapId, ...status });
  }

  #of(room: Room): MapStatuses {
    let statuses = this.#maps.get(room);
    if (!statuses) {
      statuses = { latest: new Map(), own: new Set(), removed: new Set() };
      this.#maps.set(room, statuses);
    }
    return statuses;
  }
}
