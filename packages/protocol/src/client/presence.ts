import type { ClientMessage } from '../messages/client.ts';
import type { Cursor, PresenceEntry, Viewport } from '../messages/common.ts';
import type { ServerMessage } from '../messages/server.ts';
import { type Clock, Timer } from './clock.ts';
import { Emitter } from './emitter.ts';

export interface PresenceEvents {
  /** Who else is listed (one entry per person), or this person's assigned colour, changed. */
  presence: (peers: ReadonlyMap<string, PresenceEntry>) => void;
  /** How many people watch without being listed. */
  audience: (watching: number) => void;
  summon: (from: string, viewport: Viewport) => void;
}

type Draft = { cursor?: Cursor | null; viewport?: Viewport; name?: string };

export interface PresenceOptions {
  mapId: string;
  clientId: string;
  /** The person this tab belongs to: their other tabs are not "someone else". */
  personId: string;
  /** The name shown to others, and the colour asked for (the map assigns the one shown). */
  user: { name: string; color: string };
  clock: Clock;
  send: (message: ClientMessage) => boolean;
  /** Minimum interval between presence sends; updates in between are conflated (latest wins). */
  throttleMs?: number;
}

/**
 * Who else is here, and what this client tells them (cursor, viewport, name, follow). Volatile:
 * nothing is queued across connections except the latest draft, sent once joined.
 *
 * The server lists tabs; this groups them by person: `peers` holds one entry per other person,
 * the one of the tab they used last (their cursor), and none for this person's own other tabs.
 */
export class PresenceChannel extends Emitter<PresenceEvents> {
  readonly #options: PresenceOptions;
  readonly #timer: Timer;
  #user: { name: string; color: string };
  /** Other people's listed tabs, least recently changed first. */
  #tabs = new Map<string, PresenceEntry>();
  #peers = new Map<string, PresenceEntry>();
  /** The colour the map assigned this person, once one of their tabs is listed. */
  #assignedColor: string | null = null;
  #watching = 0;
  #following: string | null = null;
  /** The last cursor sent: re-sent after a reconnect, so an active person is listed again at once. */
  #cursor: Cursor | null = null;
  #draft: Draft | null = null;
  #sentAt = 0;
  #live = false;

  constructor(options: PresenceOptions) {
    super();
    this.#options = options;
    this.#user = { ...options.user };
    this.#timer = new Timer(options.clock);
  }

  /** Everyone else listed on the map, by person id. */
  get peers(): ReadonlyMap<string, PresenceEntry> {
    return this.#peers;
  }
  get following(): string | null {
    return this.#following;
  }
  get user(): { name: string; color: string } {
    return this.#user;
  }
  /** This person's colour on the map: assigned by it once listed, the asked-for one until then. */
  get color(): string {
    return this.#assignedColor ?? this.#user.color;
  }
  /** People watching without being listed (this tab included while it is one of them). */
  get watching(): number {
    return this.#watching;
  }

  /** The person a tab belongs to, if it is listed (an op's author, say). */
  personOf(clientId: string): PresenceEntry | undefined {
    const tab = this.#tabs.get(clientId);
    return tab ? this.#peers.get(tab.personId) : undefined;
  }

  setCursor(cursor: Cursor | null): void {
    this.#queue({ cursor });
  }
  setViewport(viewport: Viewport): void {
    this.#queue({ viewport });
  }
  setUser(user: { name: string; color: string }): void {
    this.#user = { ...user };
    this.#queue({ name: user.name });
  }
  /** Follow a person (by person id), or stop with null. */
  follow(target: string | null): void {
    this.#following = target;
    this.#options.send({ type: 'follow', mapId: this.#options.mapId, target });
  }
  summon(viewport: Viewport): void {
    this.#options.send({ type: 'summon', mapId: this.#options.mapId, viewport });
  }

  /** Joined: take the tabs the server listed, then say who we are and whom we follow. */
  joined(entries: readonly PresenceEntry[]): void {
    this.#live = true;
    this.#tabs = new Map();
    for (const entry of entries) this.#take(entry);
    this.#regroup();
    if (this.#following)
      this.#options.send({ type: 'follow', mapId: this.#options.mapId, target: this.#following });
    this.#draft = {
      ...(this.#cursor ? { cursor: this.#cursor } : {}),
      ...this.#draft,
      name: this.#user.name,
    };
    this.#flush();
  }

  /** The connection is gone: nobody is known to be here any more. */
  disconnected(): void {
    this.#live = false;
    this.#timer.cancel();
    if (this.#tabs.size === 0) return;
    this.#tabs.clear();
    this.#regroup();
  }

  /** Handle a presence message; false when it is not this layer's. */
  handle(message: ServerMessage): boolean {
    switch (message.type) {
      case 'presence':
        this.#take(message.entry);
        this.#regroup();
        return true;
      case 'presenceLeft':
        if (this.#tabs.delete(message.clientId)) this.#regroup();
        return true;
      case 'audience':
        if (message.watching !== this.#watching) {
          this.#watching = message.watching;
          this.emit('audience', message.watching);
        }
        return true;
      case 'summon':
        if (message.from !== this.#options.personId) this.emit('summon', message.from, message.viewport);
        return true;
      default:
        return false;
    }
  }

  /** A listed tab: this person's own tells their colour; anyone else's moves to the most recent. */
  #take(entry: PresenceEntry): void {
    if (entry.personId === this.#options.personId) {
      this.#assignedColor = entry.color;
      return;
    }
    this.#tabs.delete(entry.clientId);
    this.#tabs.set(entry.clientId, entry);
  }

  /** One entry per person: their most recently changed tab, with the person's current colour. */
  #regroup(): void {
    const peers = new Map<string, PresenceEntry>();
    for (const tab of this.#tabs.values()) peers.set(tab.personId, tab);
    // Delete then set keeps the map in first-seen order of people (stable avatars).
    const ordered = new Map<string, PresenceEntry>();
    for (const personId of this.#peers.keys()) {
      const entry = peers.get(personId);
      if (entry) ordered.set(personId, entry);
    }
    for (const [personId, entry] of peers) if (!ordered.has(personId)) ordered.set(personId, entry);
    this.#peers = ordered;
    this.emit('presence', this.#peers);
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
    if (draft.cursor !== undefined) this.#cursor = draft.cursor;
    this.#sentAt = this.#options.clock.now();
    this.#options.send({ type: 'presence', mapId: this.#options.mapId, ...draft });
  }
}
