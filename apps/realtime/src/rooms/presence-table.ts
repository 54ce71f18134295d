import type { PresenceEntry } from '@meridian/protocol';

interface RemoteNode {
  lastSeenMs: number;
  entries: Map<string, PresenceEntry>;
  /** The client ids its last heartbeat listed, entries or not: proof that they are still on the map. */
  listed: Set<string>;
}

/**
 * The silence after which a peer is dropped, when the check runs every `checkEveryMs`: a peer
 * last heard at `t` is then gone by `t + ttlMs` at the latest (the first check past
 * `t + ttlMs - checkEveryMs`), never later, so PRESENCE_TTL_MS is the whole bound. Config keeps
 * `ttlMs > 2 * checkEveryMs`, so a live peer may still miss a heartbeat.
 */
export function silenceLimitMs(ttlMs: number, checkEveryMs: number): number {
  return ttlMs - checkEveryMs;
}

/** What changed for the clients of this node: entries to (re)send and client ids that are gone. */
export interface PresenceChange {
  updated: PresenceEntry[];
  left: string[];
}

/**
 * Who is on one map: this node's own clients plus the clients of peer nodes, each peer's set
 * kept apart so a dead peer's users can be dropped together. A client id present on two nodes
 * (a tab that just moved) stays visible until both have let it go.
 */
export class PresenceTable {
  readonly #local = new Map<string, PresenceEntry>();
  readonly #remote = new Map<string, RemoteNode>();

  get localIds(): string[] {
    return [...this.#local.keys()];
  }

  get localEntries(): PresenceEntry[] {
    return [...this.#local.values()];
  }

  /** Every entry, local ones first; one per client id. */
  list(): PresenceEntry[] {
    const merged = new Map(this.#local);
    for (const node of this.#remote.values()) {
      for (const [clientId, entry] of node.entries) if (!merged.has(clientId)) merged.set(clientId, entry);
    }
    return [...merged.values()];
  }

  setLocal(entry: PresenceEntry): void {
    this.#local.set(entry.clientId, entry);
  }

  /** Returns whether the client disappeared from the map as a whole (so peers should be told). */
  removeLocal(clientId: string): boolean {
    if (!this.#local.delete(clientId)) return false;
    return !this.#isRemote(clientId);
  }

  hasLocal(clientId: string): boolean {
    return this.#local.has(clientId);
  }

  /** Whether any node, this one included, still holds the client (an entry or a heartbeat listing). */
  has(clientId: string): boolean {
    return this.#local.has(clientId) || this.#isRemote(clientId);
  }

  /**
   * Every peer counts as heard from now: after a bus outage, during which silence proved nothing,
   * each gets a whole TTL to speak again before it is taken for dead.
   */
  touchAll(nowMs: number): void {
    for (const node of this.#remote.values()) node.lastSeenMs = nowMs;
  }

  /** A peer's update for one client; true when the client is new here or changed person or colour. */
  setRemote(nodeId: string, entry: PresenceEntry, nowMs: number): boolean {
    const node = this.#node(nodeId, nowMs);
    node.lastSeenMs = nowMs;
    const before = node.entries.get(entry.clientId);
    node.entries.set(entry.clientId, entry);
    return before?.color !== entry.color || before.personId !== entry.personId;
  }

  /** The person ids with a listed tab on any node. */
  listedPeople(): Set<string> {
    const people = new Set<string>();
    for (const entry of this.#local.values()) people.add(entry.personId);
    for (const node of this.#remote.values())
      for (const entry of node.entries.values()) people.add(entry.personId);
    return people;
  }

  /** Returns whether the client is gone from the map as a whole. */
  removeRemote(nodeId: string, clientId: string): boolean {
    const node = this.#remote.get(nodeId);
    node?.listed.delete(clientId);
    if (!node?.entries.delete(clientId)) return false;
    return !this.#local.has(clientId) && !this.#isRemote(clientId);
  }

  /**
   * A peer's heartbeat: it is alive and holds exactly `clientIds`. Entries it no longer lists are
   * dropped; the returned `unknown` flag says it lists, for the second heartbeat running, someone
   * we have no entry for. Once is normal: a client listed a moment ago has its entry in the peer's
   * next presence batch, still on its way (PRESENCE_BATCH_MS), and asking the map for its whole
   * state then made every node resend every entry to every member, every heartbeat, while people
   * kept arriving.
   */
  heartbeat(
    nodeId: string,
    clientIds: readonly string[],
    nowMs: number,
  ): { left: string[]; unknown: boolean } {
    const node = this.#node(nodeId, nowMs);
    node.lastSeenMs = nowMs;
    const listedBefore = node.listed;
    const listed = new Set(clientIds);
    node.listed = listed;
    const left: string[] = [];
    for (const clientId of [...node.entries.keys()]) {
      if (!listed.has(clientId) && this.removeRemote(nodeId, clientId)) left.push(clientId);
    }
    const unknown = clientIds.some((clientId) => !node.entries.has(clientId) && listedBefore.has(clientId));
    return { left, unknown };
  }

  /** A peer's full presence (answer to a request): replaces what we had for it. */
  replaceRemote(nodeId: string, entries: readonly PresenceEntry[], nowMs: number): PresenceChange {
    const node = this.#node(nodeId, nowMs);
    node.lastSeenMs = nowMs;
    const incoming = new Map(entries.map((entry) => [entry.clientId, entry]));
    const left: string[] = [];
    for (const clientId of [...node.entries.keys()]) {
      if (!incoming.has(clientId) && this.removeRemote(nodeId, clientId)) left.push(clientId);
    }
    for (const [clientId, entry] of incoming) node.entries.set(clientId, entry);
    return { updated: [...incoming.values()], left };
  }

  /** Drop every peer not heard from since `cutoffMs`; returns the client ids that left the map. */
  expire(cutoffMs: number): string[] {
    const left: string[] = [];
    for (const [nodeId, node] of [...this.#remote]) {
      if (node.lastSeenMs >= cutoffMs) continue;
      this.#remote.delete(nodeId);
      for (const clientId of node.entries.keys()) {
        if (!this.#local.has(clientId) && !this.#isRemote(clientId)) left.push(clientId);
      }
    }
    return left;
  }

  /** The record of a peer, created on first contact; any message from it proves it alive. */
  #node(nodeId: string, nowMs: number): RemoteNode {
    let node = this.#remote.get(nodeId);
    if (!node) {
      node = { lastSeenMs: nowMs, entries: new Map(), listed: new Set() };
      this.#remote.set(nodeId, node);
    }
    return node;
  }

  #isRemote(clientId: string): boolean {
    for (const node of this.#remote.values()) {
      if (node.entries.has(clientId) || node.listed.has(clientId)) return true;
    }
    return false;
  }
}
