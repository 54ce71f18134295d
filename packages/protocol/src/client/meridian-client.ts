import { CloseCode, ErrorCode, FATAL_CLOSE_CODES } from '../codes.ts';
import type { Feature, FeatureProperties, FeaturePropertiesPatch, Geometry } from '../geo.ts';
import { LIMITS } from '../limits.ts';
import type { ClientMessage } from '../messages/client.ts';
import type { Cursor, Layer, Op, PresenceEntry, Role, Viewport } from '../messages/common.ts';
import type { LayerStatus, ServerMessage, ServerMessageOf } from '../messages/server.ts';
import { encodeMessage, parseServerMessage } from '../parse.ts';
import { PROTOCOL_VERSION } from '../version.ts';
import { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF } from './backoff.ts';
import { Emitter } from './emitter.ts';
import { randomId } from './ids.ts';
import { type Changed, MapReplica } from './replica.ts';
import { DEFAULT_RESEND_PACING, ResendPacer, type ResendPacing } from './resend-pacer.ts';

/** The part of the WHATWG WebSocket that both browsers and the `ws` package provide. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount?: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type ConnectionStatus =
  /** Not started, or closed by `close()`. */
  | 'idle'
  | 'connecting'
  /** Joined and in sync. */
  | 'open'
  /** Lost the connection; retrying with backoff. Local ops are queued. */
  | 'reconnecting'
  /** Closed for a reason a retry cannot fix (see `lastClose`). */
  | 'failed';

export interface FrameEvent {
  direction: 'in' | 'out';
  /** Message type, when the frame parsed. */
  type?: string;
  bytes: number;
  data: string;
  at: number;
}

export interface ClientEvents {
  status: (status: ConnectionStatus) => void;
  /** The optimistic view changed; `changed` lists feature ids or 'all'. */
  state: (changed: Changed) => void;
  presence: (peers: ReadonlyMap<string, PresenceEntry>) => void;
  /** A live-feed layer's status changed (or arrived after join). */
  layerStatus: (statuses: ReadonlyMap<string, LayerStatus>) => void;
  summon: (from: string, viewport: Viewport) => void;
  ack: (opId: string, seq: number) => void;
  reject: (event: { opId: string; op: Op; code: string; message: string }) => void;
  error: (event: { code: string; message: string }) => void;
  /** Every frame in and out, for the traffic inspector. */
  frame: (frame: FrameEvent) => void;
  /** A connection closed (before any reconnect). */
  close: (event: { code: number; reason: string }) => void;
}

export interface MeridianClientOptions {
  /** Base WebSocket URL of the realtime endpoint, e.g. `ws://localhost:4000/ws`. */
  url: string;
  mapId: string;
  /** A fixed token, or a function asked for a fresh one before every (re)connect. */
  token?: string;
  getToken?: () => Promise<string> | string;
  user: { name: string; color: string };
  /** Stable id of this tab; generated when absent. */
  clientId?: string;
  /** WebSocket implementation: defaults to the global one (browsers); pass `ws` in Node 20. */
  WebSocket?: WebSocketConstructor;
  backoff?: BackoffOptions;
  /** Minimum interval between presence sends; updates in between are conflated (latest wins). */
  presenceThrottleMs?: number;
  /** App-level ping interval for RTT; 0 disables. */
  pingIntervalMs?: number;
  /** How unacknowledged ops are resent after a (re)join; see `ResendPacing`. */
  resendPacing?: ResendPacing;
}

const OPEN = 1;

/**
 * Framework-free Meridian client: one map, one connection, optimistic ops, resume and reconnect.
 * Used by the web app, the tests and the benchmarks.
 */
export class MeridianClient extends Emitter<ClientEvents> {
  readonly clientId: string;
  readonly mapId: string;
  readonly #options: MeridianClientOptions;
  readonly #WebSocket: WebSocketConstructor;
  readonly #replica: MapReplica;
  #socket: WebSocketLike | null = null;
  #status: ConnectionStatus = 'idle';
  #role: Role | null = null;
  #mapName = '';
  readonly #layerStatuses = new Map<string, LayerStatus>();
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #presenceTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #presenceSentAt = 0;
  #presenceDraft: { cursor?: Cursor | null; viewport?: Viewport; name?: string; color?: string } | null =
    null;
  #user: { name: string; color: string };
  #peers = new Map<string, PresenceEntry>();
  #following: string | null = null;
  #requestedGapTo = 0;
  #rttMs: number | null = null;
  #lastClose: { code: number; reason: string } | null = null;
  #closedByUser = false;
  readonly #resend: ResendPacer;
  #resendTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: MeridianClientOptions) {
    super();
    this.#options = options;
    this.clientId = options.clientId ?? `c-${randomId(12)}`;
    this.mapId = options.mapId;
    this.#user = { ...options.user };
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor)
      throw new TypeError('No WebSocket implementation: pass one (e.g. the `ws` package) in Node 20');
    this.#WebSocket = Ctor;
    this.#replica = new MapReplica(this.clientId);
    this.#resend = new ResendPacer(options.resendPacing ?? DEFAULT_RESEND_PACING, Date.now());
  }

  get status(): ConnectionStatus {
    return this.#status;
  }
  get role(): Role | null {
    return this.#role;
  }
  get mapName(): string {
    return this.#replica.hasSnapshot ? this.#replica.view.name : this.#mapName;
  }
  /** The optimistic view of the map's features. */
  get features(): ReadonlyMap<string, Feature> {
    return this.#replica.view.features;
  }
  /** The map's live-feed layers (optimistic view). */
  get layers(): ReadonlyMap<string, Layer> {
    return this.#replica.view.layers;
  }
  /** The latest status of each live-feed layer, as its subscribing node reported it. */
  get layerStatuses(): ReadonlyMap<string, LayerStatus> {
    return this.#layerStatuses;
  }
  /** The features as the server confirmed them, without local pending ops. */
  get confirmedFeatures(): ReadonlyMap<string, Feature> {
    return this.#replica.confirmed.features;
  }
  get seq(): number {
    return this.#replica.seq;
  }
  get pendingCount(): number {
    return this.#replica.pending.length;
  }
  get peers(): ReadonlyMap<string, PresenceEntry> {
    return this.#peers;
  }
  get following(): string | null {
    return this.#following;
  }
  get rttMs(): number | null {
    return this.#rttMs;
  }
  get lastClose(): { code: number; reason: string } | null {
    return this.#lastClose;
  }
  /** The replica, for tests and tools that compare states. */
  get replica(): MapReplica {
    return this.#replica;
  }

  connect(): void {
    this.#closedByUser = false;
    if (this.#socket || this.#reconnectTimer) return;
    void this.#open();
  }

  /**
   * Reconnect now instead of waiting out the backoff, e.g. when the browser says it is back
   * online. Does nothing unless a reconnect is waiting; a failure backs off as before.
   */
  reconnectNow(): void {
    if (this.#closedByUser || this.#socket || !this.#reconnectTimer) return;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    void this.#open();
  }

  /** Close for good (until `connect()` again). Pending ops stay queued. */
  close(): void {
    this.#closedByUser = true;
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = null;
    if (socket && socket.readyState <= OPEN) socket.close(CloseCode.NORMAL, 'client closed');
    this.#setStatus('idle');
  }

  // ---- durable ops (optimistic) ----

  createFeature(
    geometry: Geometry,
    properties: FeatureProperties = {},
    id: string = `f-${randomId(16)}`,
  ): string {
    this.#submit({
      kind: 'feature.create',
      feature: { type: 'Feature', id, geometry, properties, version: 0 },
    });
    return id;
  }
  updateFeature(id: string, properties: FeaturePropertiesPatch): string {
    return this.#submit({ kind: 'feature.update', id, properties });
  }
  moveFeature(id: string, geometry: Geometry): string {
    return this.#submit({ kind: 'feature.move', id, geometry });
  }
  deleteFeature(id: string): string {
    return this.#submit({ kind: 'feature.delete', id });
  }
  renameMap(name: string): string {
    return this.#submit({ kind: 'map.rename', name });
  }
  /** Add a live-feed layer (edit role); returns the layer's id. */
  addLayer(url: string, name: string, id: string = `l-${randomId(10)}`): string {
    this.#submit({ kind: 'layer.add', layer: { id, url, name } });
    return id;
  }
  removeLayer(id: string): string {
    return this.#submit({ kind: 'layer.remove', id });
  }
  /** Submit any op; returns its op id. Queued while offline and sent after the resume. */
  submit(op: Op): string {
    return this.#submit(op);
  }

  // ---- volatile ----

  setCursor(cursor: Cursor | null): void {
    this.#queuePresence({ cursor });
  }
  setViewport(viewport: Viewport): void {
    this.#queuePresence({ viewport });
  }
  setUser(user: { name: string; color: string }): void {
    this.#user = { ...user };
    this.#queuePresence({ name: user.name, color: user.color });
  }
  follow(target: string | null): void {
    this.#following = target;
    this.#send({ type: 'follow', mapId: this.mapId, target });
  }
  summon(viewport: Viewport): void {
    this.#send({ type: 'summon', mapId: this.mapId, viewport });
  }
  /** Send an app-level ping now; the RTT lands in `rttMs`. */
  ping(): void {
    this.#send({ type: 'ping', t: Date.now() });
  }

  // ---- connection ----

  async #open(): Promise<void> {
    this.#setStatus(this.#attempt === 0 && !this.#replica.hasSnapshot ? 'connecting' : 'reconnecting');
    let token: string | undefined;
    try {
      token = this.#options.getToken ? await this.#options.getToken() : this.#options.token;
    } catch (error) {
      this.emit('error', {
        code: ErrorCode.TOKEN_INVALID,
        message: `could not get a token: ${String(error)}`,
      });
      this.#scheduleReconnect();
      return;
    }
    if (this.#closedByUser) return;
    const separator = this.#options.url.includes('?') ? '&' : '?';
    const url = token
      ? `${this.#options.url}${separator}token=${encodeURIComponent(token)}`
      : this.#options.url;
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(url);
    } catch (error) {
      this.emit('error', {
        code: ErrorCode.INTERNAL,
        message: `could not open a WebSocket: ${String(error)}`,
      });
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      this.#send({
        type: 'hello',
        v: PROTOCOL_VERSION,
        clientId: this.clientId,
        name: this.#user.name,
        color: this.#user.color,
      });
    };
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      this.#onFrame(event.data);
    };
    socket.onerror = () => {
      // Browsers report no detail here; the close event that follows carries the code.
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#onClosed(event.code, event.reason);
    };
  }

  #onClosed(code: number, reason: string): void {
    this.#lastClose = { code, reason };
    this.#stopPing();
    this.#stopResend();
    this.#peers.clear();
    this.emit('presence', this.#peers);
    this.emit('close', { code, reason });
    if (this.#closedByUser) return;
    if (FATAL_CLOSE_CODES.has(code)) {
      this.#setStatus('failed');
      this.emit('error', {
        code: ErrorCode.INTERNAL,
        message: `connection closed (${code}${reason ? `: ${reason}` : ''})`,
      });
      return;
    }
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closedByUser || this.#reconnectTimer) return;
    this.#setStatus('reconnecting');
    const delay = backoffDelayMs(this.#attempt++, this.#options.backoff ?? DEFAULT_BACKOFF);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      void this.#open();
    }, delay);
  }

  #onFrame(data: unknown): void {
    const text = typeof data === 'string' ? data : '';
    const parsed = parseServerMessage(data);
    this.emit('frame', {
      direction: 'in',
      type: parsed.ok ? parsed.value.type : undefined,
      bytes: byteLength(text),
      data: text,
      at: Date.now(),
    });
    if (!parsed.ok) {
      this.emit('error', {
        code: parsed.error.code,
        message: `bad frame from server: ${parsed.error.message}`,
      });
      return;
    }
    this.#dispatch(parsed.value);
  }

  #dispatch(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome':
        this.#send({
          type: 'join',
          mapId: this.mapId,
          ...(this.#replica.hasSnapshot ? { lastSeq: this.#replica.seq } : {}),
        });
        return;
      case 'snapshot':
        this.#onSnapshot(message);
        return;
      case 'replay':
        this.#onReplay(message);
        return;
      case 'op':
        this.#onRecord(message.record);
        return;
      case 'ack':
        this.#replica.acknowledge(message.opId, message.seq);
        this.#settle(message.opId);
        this.emit('ack', message.opId, message.seq);
        return;
      case 'reject': {
        this.#settle(message.opId);
        const rejected = this.#replica.reject(message.opId);
        if (rejected) {
          this.emit('reject', {
            opId: message.opId,
            op: rejected.op,
            code: message.code,
            message: message.message,
          });
          this.emit('state', rejected.changed);
        }
        return;
      }
      case 'presence':
        if (message.entry.clientId === this.clientId) return;
        this.#peers.set(message.entry.clientId, message.entry);
        this.emit('presence', this.#peers);
        return;
      case 'presenceLeft':
        if (this.#peers.delete(message.clientId)) this.emit('presence', this.#peers);
        return;
      case 'summon':
        if (message.from !== this.clientId) this.emit('summon', message.from, message.viewport);
        return;
      case 'layerStatus': {
        const { type: _type, mapId: _mapId, ...status } = message;
        this.#layerStatuses.set(message.layerId, status);
        this.emit('layerStatus', this.#layerStatuses);
        return;
      }
      case 'pong':
        this.#rttMs = Date.now() - message.t;
        return;
      case 'error':
        this.emit('error', { code: message.code, message: message.message });
        return;
    }
  }

  #onSnapshot(message: ServerMessageOf<'snapshot'>): void {
    this.#role = message.role;
    this.#mapName = message.map.name;
    const changed = this.#replica.applySnapshot(
      message.seq,
      message.map.name,
      message.features,
      message.layers,
    );
    this.#setPeers(message.presence);
    this.#joined();
    this.emit('state', changed);
  }

  #onReplay(message: ServerMessageOf<'replay'>): void {
    if (message.role) this.#role = message.role;
    if (message.map) this.#mapName = message.map.name;
    const changed = new Set<string>();
    for (const record of message.ops) {
      const result = this.#replica.receive(record);
      if (result.kind === 'applied' && result.changed !== 'all')
        for (const id of result.changed) changed.add(id);
    }
    if (message.presence) {
      this.#setPeers(message.presence);
      this.#joined();
    }
    this.#requestedGapTo = 0;
    this.emit('state', changed);
  }

  #onRecord(record: ServerMessageOf<'op'>['record']): void {
    const result = this.#replica.receive(record);
    if (result.kind === 'applied') {
      this.emit('state', result.changed);
    } else if (result.kind === 'gap' && result.toSeq > this.#requestedGapTo) {
      // Ask once per missing range; the replay fills it and the buffered records drain.
      this.#requestedGapTo = result.toSeq;
      this.#send({ type: 'sync', mapId: this.mapId, fromSeq: result.fromSeq, toSeq: result.toSeq });
    }
  }

  #setPeers(entries: PresenceEntry[]): void {
    this.#peers = new Map(entries.filter((e) => e.clientId !== this.clientId).map((e) => [e.clientId, e]));
    this.emit('presence', this.#peers);
  }

  /** Joined (snapshot or resume replay): resend what the server has not acknowledged, in order. */
  #joined(): void {
    this.#attempt = 0;
    this.#setStatus('open');
    this.#resend.start(this.#replica.unacknowledged);
    this.#pumpResend();
    if (this.#following) this.#send({ type: 'follow', mapId: this.mapId, target: this.#following });
    this.#presenceDraft = { ...this.#presenceDraft, name: this.#user.name, color: this.#user.color };
    this.#flushPresence();
    this.#startPing();
  }

  #submit(op: Op): string {
    const opId = `o-${randomId(16)}`;
    const changed = this.#replica.addPending(opId, op);
    this.emit('state', changed);
    if (this.#status !== 'open') return opId;
    // Behind a resend backlog, a new op waits its turn so the server gets ops in the order made.
    if (this.#resend.backlog > 0) {
      this.#resend.push({ opId, op });
      this.#pumpResend();
    } else {
      this.#send({ type: 'op', mapId: this.mapId, opId, op });
    }
    return opId;
  }

  #settle(opId: string): void {
    this.#resend.settle(opId);
    if (this.#resend.backlog > 0) this.#pumpResend();
  }

  /** Send what the resend pacing allows now, and come back when time (not an ack) allows more. */
  #pumpResend(): void {
    if (this.#status !== 'open') return;
    const now = Date.now();
    for (const { opId, op } of this.#resend.take(now))
      this.#send({ type: 'op', mapId: this.mapId, opId, op });
    const wait = this.#resend.waitMs(now);
    if (wait !== null && !this.#resendTimer) {
      this.#resendTimer = setTimeout(() => {
        this.#resendTimer = null;
        this.#pumpResend();
      }, wait);
    }
  }

  #stopResend(): void {
    this.#resend.clear();
    if (this.#resendTimer) clearTimeout(this.#resendTimer);
    this.#resendTimer = null;
  }

  #queuePresence(update: {
    cursor?: Cursor | null;
    viewport?: Viewport;
    name?: string;
    color?: string;
  }): void {
    this.#presenceDraft = { ...this.#presenceDraft, ...update };
    if (this.#presenceTimer || this.#status !== 'open') return;
    const throttle = this.#options.presenceThrottleMs ?? 50;
    const wait = Math.max(0, this.#presenceSentAt + throttle - Date.now());
    this.#presenceTimer = setTimeout(() => {
      this.#presenceTimer = null;
      this.#flushPresence();
    }, wait);
  }

  #flushPresence(): void {
    const draft = this.#presenceDraft;
    if (!draft || this.#status !== 'open') return;
    this.#presenceDraft = null;
    this.#presenceSentAt = Date.now();
    this.#send({ type: 'presence', mapId: this.mapId, ...draft });
  }

  #startPing(): void {
    this.#stopPing();
    const interval = this.#options.pingIntervalMs ?? 15_000;
    if (interval > 0) this.#pingTimer = setInterval(() => this.ping(), interval);
  }

  #stopPing(): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = null;
  }

  #clearTimers(): void {
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    if (this.#presenceTimer) clearTimeout(this.#presenceTimer);
    this.#reconnectTimer = null;
    this.#presenceTimer = null;
    this.#stopPing();
    this.#stopResend();
  }

  #send(message: ClientMessage): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) return false;
    const data = encodeMessage(message);
    if (data.length > LIMITS.MAX_FRAME_BYTES) {
      this.emit('error', {
        code: ErrorCode.FRAME_TOO_LARGE,
        message: `a ${message.type} message is over the frame limit`,
      });
      return false;
    }
    socket.send(data);
    this.emit('frame', {
      direction: 'out',
      type: message.type,
      bytes: byteLength(data),
      data,
      at: Date.now(),
    });
    return true;
  }

  #setStatus(status: ConnectionStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.emit('status', status);
  }
}

const encoder = new TextEncoder();
function byteLength(text: string): number {
  return encoder.encode(text).length;
}
