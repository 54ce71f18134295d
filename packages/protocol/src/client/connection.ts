import { CloseCode, ErrorCode, FATAL_CLOSE_CODES, isTransientCode } from '../codes.ts';
import { LIMITS } from '../limits.ts';
import type { ClientMessage } from '../messages/client.ts';
import { isBulkOpKind } from '../messages/common.ts';
import type { ServerMessage } from '../messages/server.ts';
import { encodeMessage, parseServerMessage } from '../parse.ts';
import { subprotocolsFor } from '../version.ts';
import { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF, retryDelayMs } from './backoff.ts';
import { type Clock, systemClock, Timer } from './clock.ts';
import { type BackoffReason, type ConnectionState, transition } from './connection-state.ts';
import { Emitter } from './emitter.ts';
import { utf8Length } from './utf8.ts';

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
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface FrameEvent {
  direction: 'in' | 'out';
  /** Message type, when the frame parsed. */
  type?: string;
  bytes: number;
  data: string;
  at: number;
}

export interface ConnectionEvents {
  status: (state: ConnectionState) => void;
  /** A parsed server message for the layers above (everything but `welcome` and `pong`). */
  message: (message: ServerMessage) => void;
  /** Every frame in and out, for the traffic inspector. */
  frame: (frame: FrameEvent) => void;
  /** A socket closed (before any reconnect). */
  close: (event: { code: number; reason: string }) => void;
  error: (event: { code: string; message: string }) => void;
}

export interface ConnectionOptions {
  /** Base WebSocket URL of the realtime endpoint, e.g. `ws://localhost:4000/ws`. */
  url: string;
  /** A fixed token, or a function asked for a fresh one before every (re)connect. */
  token?: string;
  getToken?: () => Promise<string> | string;
  WebSocket?: WebSocketConstructor;
  backoff?: BackoffOptions;
  /** App-level ping interval for RTT; 0 disables. */
  pingIntervalMs?: number;
  clock?: Clock;
}

/** What the connection asks of the layer above: the first message, and the join to send. */
export interface ConnectionDelegate {
  hello(): ClientMessage;
  join(): ClientMessage;
}

const OPEN = 1;

/**
 * The transport: a socket with a fresh token, reconnection with backoff, the hello / welcome
 * handshake, the join (retried on the same socket when refused for a transient reason), and an
 * RTT heartbeat. Its whole state is one `ConnectionState`; it knows nothing of ops or presence.
 */
export class Connection extends Emitter<ConnectionEvents> {
  readonly #options: ConnectionOptions;
  readonly #delegate: ConnectionDelegate;
  readonly #WebSocket: WebSocketConstructor;
  readonly #clock: Clock;
  readonly #reconnectTimer: Timer;
  readonly #joinTimer: Timer;
  readonly #pingTimer: Timer;
  #state: ConnectionState = { kind: 'idle' };
  #socket: WebSocketLike | null = null;
  /** Failed connection attempts since the last successful join. */
  #attempt = 0;
  /** Bumped by every attempt and by close(), so a token that arrives late opens nothing. */
  #generation = 0;
  #rttMs: number | null = null;
  #maxBulkFrameBytes: number = LIMITS.MAX_FRAME_BYTES;
  #lastClose: { code: number; reason: string } | null = null;

  constructor(options: ConnectionOptions, delegate: ConnectionDelegate) {
    super();
    this.#options = options;
    this.#delegate = delegate;
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor)
      throw new TypeError('No WebSocket implementation: pass one (e.g. the `ws` package) in Node 20');
    this.#WebSocket = Ctor;
    this.#clock = options.clock ?? systemClock;
    this.#reconnectTimer = new Timer(this.#clock);
    this.#joinTimer = new Timer(this.#clock);
    this.#pingTimer = new Timer(this.#clock);
  }

  get state(): ConnectionState {
    return this.#state;
  }
  get rttMs(): number | null {
    return this.#rttMs;
  }
  /**
   * The frame limit for bulk ops, as the last server announced it in `welcome` (kept across
   * reconnects); MAX_FRAME_BYTES until one did.
   */
  get maxBulkFrameBytes(): number {
    return this.#maxBulkFrameBytes;
  }
  get lastClose(): { code: number; reason: string } | null {
    return this.#lastClose;
  }

  /** Start (from idle, or again after a fatal close). Does nothing while already under way. */
  connect(): void {
    if (this.#state.kind !== 'idle' && this.#state.kind !== 'closed') return;
    void this.#open();
  }

  /**
   * Reconnect now instead of waiting out the backoff, e.g. when the browser says it is back
   * online. Does nothing unless a reconnect is waiting; a failure backs off as before.
   */
  reconnectNow(): void {
    if (this.#state.kind !== 'backoff') return;
    this.#reconnectTimer.cancel();
    void this.#open();
  }

  /** Close for good (until `connect()` again). */
  close(): void {
    this.#generation++;
    this.#stopTimers();
    const socket = this.#socket;
    this.#socket = null;
    if (socket && socket.readyState <= OPEN) socket.close(CloseCode.NORMAL, 'client closed');
    if (this.#state.kind !== 'idle') this.#enter({ kind: 'idle' });
  }

  /**
   * Drop this socket and reconnect after the usual backoff (the layer above cannot go on with what
   * it received). Does nothing without an open socket.
   */
  restart(reason: string): void {
    const socket = this.#socket;
    if (!socket || socket.readyState > OPEN) return;
    this.#socket = null;
    socket.close(CloseCode.NORMAL, reason.slice(0, 100));
    this.#onClosed(CloseCode.NORMAL, reason);
  }

  /** The layer above received the snapshot or resume replay: the join is done. */
  joined(): void {
    if (this.#state.kind !== 'joining') return;
    this.#joinTimer.cancel();
    this.#attempt = 0;
    this.#enter({ kind: 'joined' });
    this.#startPing();
  }

  /** Send on the open socket; false when there is none (the caller keeps what it must resend). */
  send(message: ClientMessage): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) return false;
    const data = encodeMessage(message);
    const bulk = message.type === 'op' && isBulkOpKind(message.op.kind);
    if (data.length > (bulk ? this.#maxBulkFrameBytes : LIMITS.MAX_FRAME_BYTES)) {
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
      bytes: utf8Length(data),
      data,
      at: this.#clock.now(),
    });
    return true;
  }

  async #open(): Promise<void> {
    const generation = ++this.#generation;
    this.#enter({ kind: 'connecting', attempt: this.#attempt });
    let token: string | undefined;
    try {
      token = this.#options.getToken ? await this.#options.getToken() : this.#options.token;
    } catch (error) {
      if (generation !== this.#generation) return;
      const message = `could not get a token: ${String(error)}`;
      this.emit('error', { code: ErrorCode.TOKEN_INVALID, message });
      this.#backoff({ kind: 'token', message });
      return;
    }
    // close() (and perhaps connect() again) while the token was on its way.
    if (generation !== this.#generation) return;
    let socket: WebSocketLike;
    try {
      // The token rides in Sec-WebSocket-Protocol, not the URL: browsers print a failed socket's
      // URL in the console, and proxies log URLs.
      socket = new this.#WebSocket(this.#options.url, subprotocolsFor(token));
    } catch (error) {
      const message = `could not open a WebSocket: ${String(error)}`;
      this.emit('error', { code: ErrorCode.INTERNAL, message });
      this.#backoff({ kind: 'socket', message });
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      this.#enter({ kind: 'handshaking' });
      this.send(this.#delegate.hello());
    };
    socket.onmessage = (event) => {
      if (this.#socket === socket) this.#onFrame(event.data);
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
    this.#joinTimer.cancel();
    this.#pingTimer.cancel();
    this.emit('close', { code, reason });
    if (FATAL_CLOSE_CODES.has(code)) {
      this.#enter({ kind: 'closed', code, reason });
      this.emit('error', {
        code: ErrorCode.INTERNAL,
        message: `connection closed (${code}${reason ? `: ${reason}` : ''})`,
      });
      return;
    }
    this.#backoff({ kind: 'closed', code, reason });
  }

  #backoff(reason: BackoffReason): void {
    const attempt = this.#attempt++;
    const retryInMs = backoffDelayMs(attempt, this.#options.backoff ?? DEFAULT_BACKOFF, () =>
      this.#clock.random(),
    );
    this.#enter({ kind: 'backoff', attempt, retryInMs, at: this.#clock.now() + retryInMs, reason });
    this.#reconnectTimer.start(retryInMs, () => void this.#open());
  }

  #onFrame(data: unknown): void {
    const text = typeof data === 'string' ? data : '';
    const parsed = parseServerMessage(data);
    this.emit('frame', {
      direction: 'in',
      type: parsed.ok ? parsed.value.type : undefined,
      bytes: utf8Length(text),
      data: text,
      at: this.#clock.now(),
    });
    if (!parsed.ok) {
      this.emit('error', {
        code: parsed.error.code,
        message: `bad frame from server: ${parsed.error.message}`,
      });
      return;
    }
    const message = parsed.value;
    if (message.type === 'welcome') {
      if (this.#state.kind !== 'handshaking') return;
      // Never above what this version knows, nor below the plain frame limit.
      this.#maxBulkFrameBytes = Math.max(
        LIMITS.MAX_FRAME_BYTES,
        Math.min(message.maxBulkFrameBytes, LIMITS.MAX_BULK_FRAME_BYTES),
      );
      this.#enter({ kind: 'joining', attempt: 0, retry: null });
      this.send(this.#delegate.join());
      return;
    }
    if (message.type === 'pong') {
      this.#rttMs = this.#clock.now() - message.t;
      return;
    }
    if (message.type === 'error' && this.#state.kind === 'joining' && isJoinAnswer(message)) {
      this.#onJoinRefused(message.code, message.message);
      return;
    }
    this.emit('message', message);
  }

  /** A join refused: retried on this socket when the reason is transient, else the end. */
  #onJoinRefused(code: ErrorCode, message: string): void {
    if (this.#state.kind !== 'joining') return;
    if (!isTransientCode(code)) {
      this.emit('error', { code, message });
      const socket = this.#socket;
      this.#socket = null;
      socket?.close(CloseCode.NORMAL, 'join refused');
      this.#enter({ kind: 'closed', code: CloseCode.NORMAL, reason: `${code}: ${message}` });
      return;
    }
    const attempt = this.#state.attempt;
    const inMs = retryDelayMs(attempt, undefined, this.#options.backoff ?? DEFAULT_BACKOFF, () =>
      this.#clock.random(),
    );
    this.#enter({ kind: 'joining', attempt, retry: { inMs, at: this.#clock.now() + inMs, code } });
    this.#joinTimer.start(inMs, () => {
      if (this.#state.kind !== 'joining') return;
      this.#enter({ kind: 'joining', attempt: attempt + 1, retry: null });
      this.send(this.#delegate.join());
    });
  }

  #startPing(): void {
    const interval = this.#options.pingIntervalMs ?? 15_000;
    if (interval <= 0) return;
    this.#pingTimer.start(interval, () => {
      if (this.#state.kind !== 'joined') return;
      this.send({ type: 'ping', t: this.#clock.now() });
      this.#startPing();
    });
  }

  #stopTimers(): void {
    this.#reconnectTimer.cancel();
    this.#joinTimer.cancel();
    this.#pingTimer.cancel();
  }

  #enter(next: ConnectionState): void {
    this.#state = transition(this.#state, next);
    this.emit('status', next);
  }
}

/**
 * While joining, the client has sent nothing but `hello` and `join`, so an error is the join's
 * answer: older servers send it without `ref`, newer ones with `ref: 'join'`.
 */
function isJoinAnswer(message: Extract<ServerMessage, { type: 'error' }>): boolean {
  return message.ref === undefined || message.ref === 'join';
}
