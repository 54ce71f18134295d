import type { ServerMessage } from '@meridian/protocol';
import { Room, type RoomDeps, type RoomHooks } from './room.ts';

/**
 * Told when rooms open and close on this node, and of their events (RoomHooks): feeds/feed-host.ts
 * and feeds/layer-status-cache.ts watch this way. Observers are told in the order they started.
 */
export interface RoomObserver extends RoomHooks {
  opened?(mapId: string): void;
  closed?(mapId: string): void;
}

interface Entry {
  room: Room;
  opened: Promise<void>;
  /** Observers were told it opened (so they must be told it closed). */
  announced: boolean;
}

/**
 * The maps open on this node. A room is created by the first join, opened once (bus subscribe,
 * then the map's seq), shared by every later join, and closed when its last socket leaves.
 */
export class RoomRegistry {
  readonly #deps: RoomDeps;
  readonly #rooms = new Map<string, Entry>();
  readonly #observers = new Set<RoomObserver>();

  constructor(deps: RoomDeps) {
    this.#deps = {
      ...deps,
      hooks: {
        record: (room, record) => this.#tell('record', (o) => o.record?.(room, record)),
        layerStatus: (room, status) => this.#tell('layer status', (o) => o.layerStatus?.(room, status)),
        stateRequested: (room) => this.#tell('state request', (o) => o.stateRequested?.(room)),
        catchUp: (room) => {
          const messages: ServerMessage[] = [];
          this.#tell('catch-up', (o) => messages.push(...(o.catchUp?.(room) ?? [])));
          return messages;
        },
      },
    };
  }

  /** Watch rooms open, close and deliver records; returns a function that stops watching. */
  observe(observer: RoomObserver): () => void {
    const entry = { ...observer };
    this.#observers.add(entry);
    return () => {
      this.#observers.delete(entry);
    };
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
   * a member (`room.join`) or give it back (`room.unreserve`). Throws a MeridianError when the
   * map is unknown or storage is down.
   */
  async enter(mapId: string): Promise<Room> {
    let entry = this.#rooms.get(mapId);
    if (!entry) {
      const room = new Room(mapId, this.#deps, (empty) => this.#remove(empty));
      const opened = room.open();
      const created: Entry = { room, opened, announced: false };
      entry = created;
      this.#rooms.set(mapId, created);
      this.#deps.metrics.mapsOpen.set(this.#rooms.size);
      opened.then(
        () => {
          if (this.#rooms.get(mapId) !== created || room.closed) return;
          created.announced = true;
          this.#tell('opened', (o) => o.opened?.(mapId));
        },
        // A room that failed to open is forgotten, so the next join tries again from scratch.
        () => this.#remove(room),
      );
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
    const entries = [...this.#rooms.values()];
    this.#rooms.clear();
    this.#deps.metrics.mapsOpen.set(0);
    for (const entry of entries) this.#closeEntry(entry);
  }

  #remove(room: Room): void {
    const entry = this.#rooms.get(room.mapId);
    if (entry?.room === room) {
      this.#rooms.delete(room.mapId);
      this.#closeEntry(entry);
    } else {
      room.close();
    }
    this.#deps.metrics.mapsOpen.set(this.#rooms.size);
  }

  #closeEntry(entry: Entry): void {
    entry.room.close();
    if (!entry.announced) return;
    entry.announced = false;
    this.#tell('closed', (o) => o.closed?.(entry.room.mapId));
  }

  /** An observer that throws is logged; it never breaks the room or the other observers. */
  #tell(what: string, call: (observer: RoomObserver) => void): void {
    for (const observer of [...this.#observers]) {
      try {
        call(observer);
      } catch (error) {
        this.#deps.logger.error({ err: error, what }, 'room observer failed');
      }
    }
  }
}
