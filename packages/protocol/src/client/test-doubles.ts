/**
 * Test doubles for the client: a clock moved by hand and a socket scripted by the test. Exported as
 * `@meridian/protocol/client/testing` for other packages' tests of code built on the client.
 */
import { LIMITS } from '../limits.ts';
import type { ClientMessage } from '../messages/client.ts';
import type { ServerMessage } from '../messages/server.ts';
import { PROTOCOL_VERSION } from '../version.ts';
import type { Clock } from './clock.ts';
import type { WebSocketConstructor, WebSocketLike } from './connection.ts';

/** A clock whose time only moves when the test says so; timers fire in time order. */
export class ManualClock implements Clock {
  #now = 1_000_000;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();
  /** What `random()` returns; 0.5 unless a test sets it. */
  randomValue = 0.5;

  now(): number {
    return this.#now;
  }
  random(): number {
    return this.randomValue;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  /** Move time forward, firing every timer due on the way, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = [...this.#timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].callback();
    }
    this.#now = end;
  }
}

/** A socket the test drives by hand: it opens, answers and closes when told. */
export class ScriptedSocket implements WebSocketLike {
  static all: ScriptedSocket[] = [];
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: ClientMessage[] = [];
  readonly url: string;
  readonly protocols: readonly string[];

  constructor(url: string, protocols: string | string[] = []) {
    this.url = url;
    this.protocols = typeof protocols === 'string' ? [protocols] : protocols;
    ScriptedSocket.all.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as ClientMessage);
  }
  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  /** Opens and is welcomed by a server of this protocol version: the client asks to join. */
  welcome(clientId = 'c-test'): void {
    this.open();
    this.receive({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      clientId,
      nodeId: 'n',
      serverTime: 0,
      maxFrameBytes: LIMITS.MAX_FRAME_BYTES,
      maxBulkFrameBytes: LIMITS.MAX_BULK_FRAME_BYTES,
    });
  }
  receive(message: ServerMessage): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  /** The server closed the connection with `code`. */
  drop(code: number, reason = ''): void {
    this.close(code, reason);
  }
  sentOfType<T extends ClientMessage['type']>(type: T): Extract<ClientMessage, { type: T }>[] {
    return this.sent.filter((m): m is Extract<ClientMessage, { type: T }> => m.type === type);
  }
}

export const ScriptedWebSocket = ScriptedSocket as unknown as WebSocketConstructor;

/** The last socket the client opened. */
export function lastSocket(): ScriptedSocket {
  const socket = ScriptedSocket.all[ScriptedSocket.all.length - 1];
  if (!socket) throw new Error('no socket was opened');
  return socket;
}

/** Let the client's async token step run (it awaits before opening the socket). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
