import { MeridianError } from '../codes.ts';
import type { Feature, FeatureProperties, FeaturePropertiesPatch, Geometry } from '../geo.ts';
import { randomId } from '../ids.ts';
import { LIMITS } from '../limits.ts';
import type { Cursor, Layer, Op, PresenceEntry, Role, UserLayer, Viewport } from '../messages/common.ts';
import type { LayerStatus, ServerMessage } from '../messages/server.ts';
import { PROTOCOL_VERSION } from '../version.ts';
import type { BackoffOptions } from './backoff.ts';
import { type Clock, systemClock } from './clock.ts';
import { Connection, type FrameEvent, type WebSocketConstructor } from './connection.ts';
import type { ConnectionState } from './connection-state.ts';
import { Emitter } from './emitter.ts';
import { type ImportProgress, importChunks, validateImport } from './import.ts';
import { PresenceChannel } from './presence.ts';
import type { MapReplica, SnapshotProgress } from './replica.ts';
import { DEFAULT_BULK_WINDOW, type ResendPacing } from './resend-pacer.ts';
import { type FeaturesChangedEvent, MapSync, type OpRejectedEvent } from './sync.ts';

/**
 * Import chunks submitted and not yet committed at once (see `importFeatures`): enough to keep the
 * pacer's bulk window full while acks come back.
 */
const IMPORT_WINDOW = 2 * DEFAULT_BULK_WINDOW;

export interface ClientEvents {
  /** The connection moved to another state (see `ConnectionState`). */
  status: (state: ConnectionState) => void;
  /** The optimistic view of some features changed. */
  featuresChanged: (event: FeaturesChangedEvent) => void;
  /**
   * A big map's snapshot is streaming in: it began, or another chunk of features was applied (and
   * `featuresChanged` fired for them). `joined` follows once all of them are in.
   */
  snapshotProgress: (progress: SnapshotProgress) => void;
  /** Who else is listed (one entry per person, by person id), or this person's colour, changed. */
  presence: (peers: ReadonlyMap<string, PresenceEntry>) => void;
  /** How many people watch the map without being listed changed. */
  audience: (watching: number) => void;
  /** A live-feed layer's status changed (or arrived after join). */
  layerStatus: (statuses: ReadonlyMap<string, LayerStatus>) => void;
  summon: (from: string, viewport: Viewport) => void;
  ack: (opId: string, seq: number) => void;
  /** An op was refused: retried later when `final` is false, removed when true. */
  opRejected: (event: OpRejectedEvent) => void;
  error: (event: { code: string; message: string }) => void;
  /** Every frame in and out, for the traffic inspector. */
  frame: (frame: FrameEvent) => void;
  /** A socket closed (before any reconnect). */
  close: (event: { code: number; reason: string }) => void;
}

export interface MeridianClientOptions {
  /** Base WebSocket URL of the realtime endpoint, e.g. `ws://localhost:4000/ws`. */
  url: string;
  mapId: string;
  /** A fixed token, or a function asked for a fresh one before every (re)connect. */
  token?: string;
  getToken?: () => Promise<string> | string;
  /** The name shown to others, and the colour asked for (the map assigns the one shown). */
  user: { name: string; color: string };
  /** Stable id of this tab; generated when absent. */
  clientId?: string;
  /**
   * Stable id of the person (a browser profile, shared by its tabs): their tabs show as one
   * person to others, and never as someone else to each other. The client id when absent.
   */
  personId?: string;
  /** WebSocket implementation: defaults to the global one (browsers); pass `ws` in Node 20. */
  WebSocket?: WebSocketConstructor;
  /** Reconnect backoff; also the base of the retry backoff for refused joins and ops. */
  backoff?: BackoffOptions;
  /** Minimum interval between presence sends; updates in between are conflated (latest wins). */
  presenceThrottleMs?: number;
  /** App-level ping interval for RTT; 0 disables. */
  pingIntervalMs?: number;
  /** How fast ops are sent (new, resent after a join, retried); see `ResendPacing`. */
  resendPacing?: ResendPacing;
  /** Time and randomness; tests pass a fake. */
  clock?: Clock;
}

/**
 * Framework-free Meridian client for one map: a `Connection` (socket, token, backoff, join,
 * heartbeat) under a `MapSync` (replica, pacing, retries) and a `PresenceChannel`. Used by the
 * web app, the tests and the benchmarks.
 */
export class MeridianClient extends Emitter<ClientEvents> {
  readonly clientId: string;
  readonly personId: string;
  readonly mapId: string;
  readonly #connection: Connection;
  readonly #sync: MapSync;
  readonly #presence: PresenceChannel;
  readonly #clock: Clock;

  constructor(options: MeridianClientOptions) {
    super();
    this.clientId = options.clientId ?? `c-${randomId(12)}`;
    this.personId = options.personId ?? this.clientId;
    this.mapId = options.mapId;
    this.#clock = options.clock ?? systemClock;
    const send = (message: Parameters<Connection['send']>[0]) => this.#connection.send(message);
    this.#sync = new MapSync({
      mapId: this.mapId,
      clientId: this.clientId,
      clock: this.#clock,
      send,
      ...(options.resendPacing ? { resendPacing: options.resendPacing } : {}),
      ...(options.backoff ? { retryBackoff: options.backoff } : {}),
    });
    this.#presence = new PresenceChannel({
      mapId: this.mapId,
      clientId: this.clientId,
      personId: this.personId,
      user: options.user,
      clock: this.#clock,
      send,
      ...(options.presenceThrottleMs !== undefined ? { throttleMs: options.presenceThrottleMs } : {}),
    });
    this.#connection = new Connection(
      {
        url: options.url,
        ...(options.token !== undefined ? { token: options.token } : {}),
        ...(options.getToken ? { getToken: options.getToken } : {}),
        ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
        ...(options.backoff ? { backoff: options.backoff } : {}),
        ...(options.pingIntervalMs !== undefined ? { pingIntervalMs: options.pingIntervalMs } : {}),
        clock: this.#clock,
      },
      {
        hello: () => ({
          type: 'hello',
          v: PROTOCOL_VERSION,
          clientId: this.clientId,
          personId: this.personId,
          name: this.#presence.user.name,
          color: this.#presence.user.color,
        }),
        join: () => this.#sync.joinMessage(),
      },
    );
    this.#wire();
  }

  /** The connection's state; `joined` means in sync. */
  get status(): ConnectionState {
    return this.#connection.state;
  }
  /** Joined and in sync: ops and presence flow now. */
  get joined(): boolean {
    return this.#connection.state.kind === 'joined';
  }
  get role(): Role | null {
    return this.#sync.role;
  }
  get mapName(): string {
    return this.#sync.mapName;
  }
  /** The optimistic view of the map's features. */
  get features(): ReadonlyMap<string, Feature> {
    return this.#sync.replica.view.features;
  }
  /** The map's live-feed layers (optimistic view). */
  get layers(): ReadonlyMap<string, Layer> {
    return this.#sync.replica.view.layers;
  }
  /** The latest status of each live-feed layer, as its subscribing node reported it. */
  get layerStatuses(): ReadonlyMap<string, LayerStatus> {
    return this.#sync.layerStatuses;
  }
  /** The features as the server confirmed them, without local pending ops. */
  get confirmedFeatures(): ReadonlyMap<string, Feature> {
    return this.#sync.replica.confirmed.features;
  }
  get seq(): number {
    return this.#sync.replica.seq;
  }
  /** Ops made here that the server has not confirmed yet (sent, queued or waiting to retry). */
  get pendingCount(): number {
    return this.#sync.replica.pending.length;
  }
  /** Ops waiting for their turn to be sent (paced, or held after a transient refusal). */
  get queuedCount(): number {
    return this.#sync.queued;
  }
  /** When sending is held after a transient refusal: the time it resumes; else null. */
  get retryAt(): number | null {
    return this.#sync.heldUntil;
  }
  /** Everyone else listed on the map: one entry per person (by person id), never this person's other tabs. */
  get peers(): ReadonlyMap<string, PresenceEntry> {
    return this.#presence.peers;
  }
  /** This person's colour: assigned by the map once listed, the one asked for until then. */
  get color(): string {
    return this.#presence.color;
  }
  /** How many people watch the map without being listed. */
  get watching(): number {
    return this.#presence.watching;
  }
  /** The listed person a tab (an op's `clientId`) belongs to. */
  personOf(clientId: string): PresenceEntry | undefined {
    return this.#presence.personOf(clientId);
  }
  get following(): string | null {
    return this.#presence.following;
  }
  get rttMs(): number | null {
    return this.#connection.rttMs;
  }
  get lastClose(): { code: number; reason: string } | null {
    return this.#connection.lastClose;
  }
  /** While a big map's snapshot streams in: how many of its features have arrived; else null. */
  get loading(): SnapshotProgress | null {
    return this.#sync.replica.loading;
  }
  /** The replica, for tests and tools that compare states. */
  get replica(): MapReplica {
    return this.#sync.replica;
  }

  connect(): void {
    this.#connection.connect();
  }

  /**
   * Reconnect now instead of waiting out the backoff, e.g. when the browser says it is back
   * online. Does nothing unless a reconnect is waiting; a failure backs off as before.
   */
  reconnectNow(): void {
    this.#connection.reconnectNow();
  }

  /** Close for good (until `connect()` again). Pending ops stay queued. */
  close(): void {
    this.#connection.close();
  }

  createFeature(
    geometry: Geometry,
    properties: FeatureProperties = {},
    id: string = `f-${randomId(16)}`,
  ): string {
    this.submit({
      kind: 'feature.create',
      feature: { type: 'Feature', id, geometry, properties, version: 0 },
    });
    return id;
  }
  updateFeature(id: string, properties: FeaturePropertiesPatch): string {
    return this.submit({ kind: 'feature.update', id, properties });
  }
  moveFeature(id: string, geometry: Geometry): string {
    return this.submit({ kind: 'feature.move', id, geometry });
  }
  deleteFeature(id: string): string {
    return this.submit({ kind: 'feature.delete', id });
  }
  renameMap(name: string): string {
    return this.submit({ kind: 'map.rename', name });
  }
  /** Add a live-feed layer (edit role); returns the layer's id. */
  addLayer(url: string, name: string, id: string = `l-${randomId(10)}`): string {
    this.submit({ kind: 'layer.add', layer: { id, kind: 'feed', url, name } });
    return id;
  }
  /** Add a user layer (edit role); returns the layer's id. */
  addUserLayer(
    name: string,
    {
      order = 0,
      style = {},
      id = `l-${randomId(10)}`,
    }: Partial<Pick<UserLayer, 'order' | 'style' | 'id'>> = {},
  ): string {
    this.submit({ kind: 'layer.add', layer: { id, kind: 'user', name, order, style } });
    return id;
  }
  /** Rename, restyle or reorder a user layer. */
  updateLayer(id: string, change: Partial<Pick<UserLayer, 'name' | 'style' | 'order'>>): string {
    return this.submit({ kind: 'layer.update', id, ...change });
  }
  /** Move a feature into a user layer, or out of any (null). */
  setFeatureLayer(featureId: string, layerId: string | null): string {
    return this.submit({ kind: 'feature.update', id: featureId, properties: { layer: layerId } });
  }
  removeLayer(id: string): string {
    return this.submit({ kind: 'layer.remove', id });
  }
  /**
   * Import many features: checked first (a bad one throws, naming its index, before anything is
   * sent), then split into `features.import` chunks that each fit in a frame and commit atomically
   * under their own op id (so a retry or a resend after a reconnect never applies one twice).
   * Chunks go out a few at a time (the pacer's bulk window), and hold when the server's bulk budget
   * says to wait; `onProgress` hears each commit.
   * Resolves with the chunks' op ids and the feature ids (undo deletes them) once all are
   * committed; rejects on a final refusal of a chunk (chunks committed before it stay, later
   * ones are not sent).
   */
  importFeatures(
    features: readonly unknown[],
    options: {
      onProgress?: (progress: ImportProgress) => void;
      maxFrameBytes?: number;
      /**
       * The features were validated already, with these schemas (`validateImport`, or the
       * formats' `checkImport` in a worker): not checked again here. The server validates each
       * chunk whatever the client says.
       */
      validated?: boolean;
    } = {},
  ): Promise<{ opIds: string[]; featureIds: string[] }> {
    const valid = options.validated ? (features as Feature[]) : validateImport(features);
    // Chunks as big as the server said bulk frames may be: fewer transactions and records.
    const batch = { id: randomId(), total: valid.length };
    const chunks = importChunks(valid, options.maxFrameBytes ?? this.#connection.maxBulkFrameBytes).map(
      (chunk) => ({ ...chunk, batch }),
    );
    const sizes = new Map<string, number>();
    const progress: ImportProgress = {
      committedFeatures: 0,
      totalFeatures: valid.length,
      committedChunks: 0,
      totalChunks: chunks.length,
    };
    return new Promise((resolve, reject) => {
      const done = () => {
        offAck();
        offReject();
      };
      const offAck = this.on('ack', (opId) => {
        const size = sizes.get(opId);
        if (size === undefined) return;
        sizes.delete(opId);
        progress.committedFeatures += size;
        progress.committedChunks += 1;
        options.onProgress?.({ ...progress });
        submitNext();
        if (sizes.size === 0) {
          done();
          resolve({ opIds, featureIds: valid.map((f) => f.id) });
        }
      });
      const offReject = this.on('opRejected', (event) => {
        if (!event.final || !sizes.has(event.opId)) return;
        done();
        reject(new MeridianError(event.code, `import chunk ${event.opId} refused: ${event.message}`));
      });
      // Chunks enter the replica a few at a time: each pending op is replayed over every record
      // received, so 100,000 features pending at once would cost that much per record.
      const opIds: string[] = [];
      const submitNext = () => {
        const op = chunks[opIds.length];
        if (!op) return;
        const opId = this.submit(op);
        sizes.set(opId, op.features.length);
        opIds.push(opId);
      };
      while (opIds.length < Math.min(IMPORT_WINDOW, chunks.length)) submitNext();
      if (chunks.length === 0) {
        done();
        resolve({ opIds, featureIds: [] });
      }
    });
  }
  /** Delete many features, in `features.delete` ops of at most LIMITS.MAX_DELETE_IDS_PER_OP ids. */
  deleteFeatures(ids: readonly string[]): string[] {
    const opIds: string[] = [];
    const batch = { id: randomId(), total: ids.length };
    for (let i = 0; i < ids.length; i += LIMITS.MAX_DELETE_IDS_PER_OP)
      opIds.push(
        this.submit({ kind: 'features.delete', ids: ids.slice(i, i + LIMITS.MAX_DELETE_IDS_PER_OP), batch }),
      );
    return opIds;
  }
  /** Submit any op; returns its op id. Shown at once, sent in its turn, queued while not joined. */
  submit(op: Op): string {
    return this.#sync.submit(op);
  }

  setCursor(cursor: Cursor | null): void {
    this.#presence.setCursor(cursor);
  }
  setViewport(viewport: Viewport): void {
    this.#presence.setViewport(viewport);
  }
  setUser(user: { name: string; color: string }): void {
    this.#presence.setUser(user);
  }
  follow(target: string | null): void {
    this.#presence.follow(target);
  }
  summon(viewport: Viewport): void {
    this.#presence.summon(viewport);
  }
  /** Send an app-level ping now; the RTT lands in `rttMs`. */
  ping(): void {
    this.#connection.send({ type: 'ping', t: this.#clock.now() });
  }

  #wire(): void {
    const connection = this.#connection;
    connection.on('status', (state) => {
      if (state.kind !== 'joined' && state.kind !== 'joining') {
        this.#sync.disconnected();
        this.#presence.disconnected();
      }
      this.emit('status', state);
    });
    connection.on('message', (message) => this.#dispatch(message));
    connection.on('frame', (frame) => this.emit('frame', frame));
    connection.on('close', (event) => this.emit('close', event));
    connection.on('error', (event) => this.emit('error', event));

    this.#sync.on('joined', (presence) => {
      connection.joined();
      this.#presence.joined(presence);
    });
    this.#sync.on('featuresChanged', (event) => this.emit('featuresChanged', event));
    this.#sync.on('snapshotProgress', (progress) => this.emit('snapshotProgress', progress));
    this.#sync.on('snapshotBroken', (reason) => {
      this.emit('error', { code: 'SNAPSHOT_INCOMPLETE', message: reason });
      connection.restart(reason);
    });
    this.#sync.on('ack', (opId, seq) => this.emit('ack', opId, seq));
    this.#sync.on('opRejected', (event) => this.emit('opRejected', event));
    this.#sync.on('layerStatus', (statuses) => this.emit('layerStatus', statuses));
    this.#presence.on('presence', (peers) => this.emit('presence', peers));
    this.#presence.on('audience', (watching) => this.emit('audience', watching));
    this.#presence.on('summon', (from, viewport) => this.emit('summon', from, viewport));
  }

  #dispatch(message: ServerMessage): void {
    if (this.#presence.handle(message) || this.#sync.handle(message)) return;
    if (message.type === 'error') this.emit('error', { code: message.code, message: message.message });
  }
}

export type { FrameEvent, WebSocketConstructor, WebSocketLike } from './connection.ts';
