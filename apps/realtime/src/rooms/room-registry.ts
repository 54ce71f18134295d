import { Room, type RoomDeps } from './room.ts';

/**
 * The maps open on this node. A room is created by the first join, opened once (bus subscribe,
 * then the map's seq), shared by every later join, and closed when its last socket leaves.
 */
export class RoomRegistry {
  readonly #deps: RoomDeps;
  readonly #rooms = new Map<string, { room: Room; opened: Promise<void> }>();

  constructor(deps: RoomDeps) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#rooms.size;
  }

  get(mapId: string): Room | undefined {
    return this.#rooms.get(mapId)?.room;
  }

  rooms(): Room[] {
    return [...this.#rooms.values()].map((entry) => entry.room);
  }

  /**
   * The open room of `mapId`, with a reservation that keeps it open: the caller must turn it into
   * a member (`room.addJoiner`) or give it back (`room.unreserve`). Throws a MeridianError when the
   * map is unknown or storage is down.
   */
  async enter(mapId: string): Promise<Room> {
    let entry = this.#rooms.get(mapId);
    if (!entry) {
      const room = new Room(mapId, this.#deps, (empty) => this.#remove(empty));
      const opened = room.open();
      entry = { room, opened };
      this.#rooms.set(mapId, entry);
      this.#deps.metrics.mapsOpen.set(this.#rooms.size);
      // A room that failed to open is forgotten, so the next join tries again from scratch.
      opened.catch(() => this.#remove(room));
    }
    const { room, opened } = entry;
    room.reserve();
    try {
      await opened;
    } catch (error) {
      room.unreserve();
      throw error;
    }
    return room;
  }

  closeAll(): void {
    for (const { room } of this.#rooms.values()) room.close();
    this.#rooms.clear();
    this.#deps.metrics.mapsOpen.set(0);
  }

  #remove(room: Room): void {
    if (this.#rooms.get(room.mapId)?.room === room) this.#rooms.delete(room.mapId);
    room.close();
    this.#deps.metrics.mapsOpen.set(this.#rooms.size);
  }
}
