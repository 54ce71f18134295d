import type { ClientMessage } from '../messages/client.ts';
import type { Cursor, PresenceEntry, Viewport } from '../messages/common.ts';
import type { ServerMessage } from '../messages/server.ts';
import { type Clock, Timer } from './clock.ts';
import { Emitter } from './emitter.ts';

export interface PresenceEvents {
  presence: (peers: ReadonlyMap<string, PresenceEntry>) => void;
  summon: (from: string, viewport: Viewport) => void;
}

type Draft = { cursor?: Cursor | null; viewport?: Viewport; name?: string; color?: string };

export interface PresenceOptions {
  mapId: string;
  clientId: string;
  user: { name: string; color: string };
  clock: Clock;
  send: (message: ClientMessage) => boolean;
  /** Minimum interval between presence sends; updates in between are conflated (latest wins). */
  throttleMs?: number;
}

/**
 * Who else is here, and what this client tells them (cursor, viewport, name, follow). Volatile:
 * nothing is queued across connections except the latest draft, sent once joined.
 */
export class PresenceChannel extends Emitter<PresenceEvents> {
  readonly #options: PresenceOptions;
  readonly #timer: Timer;
  #user: { name: string; color: string };
  #peers = new Map<string, PresenceEntry>();
  #following: string | null = null;
  #draft: Draft | null = null;
  #sentAt = 0;
  #live = false;

  constructor(options: PresenceOptions) {
    super();
    this.#options = options;
    this.#user = { ...options.user };
    this.#timer = new Timer(options.clock);
  }

  get peers(): ReadonlyMap<string, PresenceEntry> {
    return this.#peers;
  }
  get following(): string | null {
    return this.#following;
  }
  get user(): { name: string; color: string } {
    return this.#user;
  }

  setCursor(cursor: Cursor | null): void {
    this.#queue({ cursor });
  }
  setViewport(viewport: Viewport): void {
    this.#queue({ viewport });
  }
  setUser(user: { name: string; color: string }): void {
    this.#user = { ...user };
    this.#queue({ name: user.name, color: user.color });
  }
  follow(target: string | null): void {
    this.#following = target;
    this.#options.send({ type: 'follow', mapId: this.#options.mapId, target });
  }
  summon(viewport: Viewport): void {
    this.#options.send({ type: 'summon', mapId: this.#options.mapId, viewport });
  }

  /** Joined: take the peers the server listed, then say who we are and whom we follow. */
  joined(entries: readonly PresenceEntry[]): void {
    this.#live = true;
    this.#peers = new Map(
      entries.filter((e) => e.clientId !== this.#options.clientId).map((e) => [e.clientId, e]),
    );
    this.emit('presence', this.#peers);
    if (this.#following)
      this.#options.send({ type: 'follow', mapId: this.#options.mapId, target: this.#following });
    this.#draft = { ...this.#draft, name: this.#user.name, color: this.#user.color };
    this.#flush();
  }

  /** The connection is gone: nobody is known to be here any more. */
  disconnected(): void {
    this.#live = false;
    this.#timer.cancel();
    if (this.#peers.size === 0) return;
    this.#peers.clear();
    this.emit('presence', this.#peers);
  }

  /** Handle a presence message; false when it is not this layer's. */
  handle(message: ServerMessage): boolean {
    switch (message.type) {
      case 'presence':
        if (message.entry.clientId === this.#options.clientId) return true;
        this.#peers.set(message.entry.clientId, message.entry);
        this.emit('presence', this.#peers);
        return true;
      case 'presenceBatch': {
        // One frame with every change of a tick: one event for all of them.
        let changed = false;
        for (const entry of message.entries) {
          if (entry.clientId === this.#options.clientId) continue;
          this.#peers.set(entry.clientId, entry);
          changed = true;
        }
        if (changed) this.emit('presence', this.#peers);
        return true;
      }
      case 'presenceLeft':
        if (this.#peers.delete(message.clientId)) this.emit('presence', this.#peers);
        return true;
      case 'summon':
        if (message.from !== this.#options.clientId) this.emit('summon', message.from, message.viewport);
        return true;
      default:
        return false;
    }
  }

  #queue(update: Draft): void {
    this.#draft = { ...this.#draft, ...update };
    if (this.#timer.pending || !this.#live) return;
    const throttle = this.#options.throttleMs ?? 50;
    const wait = Math.max(0, this.#sentAt + throttle - this.#options.clock.now());
    this.#timer.start(wait, () => this.#flush());
  }

  #flush(): void {
    const draft = this.#draft;
    if (!draft || !this.#live) return;
    this.#draft = null;
    this.#sentAt = this.#options.clock.now();
    this.#options.send({ type: 'presence', mapId: this.#options.mapId, ...draft });
  }
}
