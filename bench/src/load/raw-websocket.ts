/**
 * A minimal RFC 6455 client on a raw TCP socket, for the load generator's hot path.
 *
 * With a thousand clients on one core, `ws` spends most of the load generator's CPU in its
 * stream machinery. Here each socket reads into one shared buffer (`net` `onread`), frames
 * are parsed in place, and a text frame is handed over as a byte range, so counting a
 * delivery allocates nothing. Only what the benchmark needs: text frames, ping/pong,
 * close, fragments; no extensions (no compression: every system under test has it off).
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;

/** One read buffer for every socket: frames are consumed synchronously in the read callback. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export interface RawWebSocketOptions {
  host: string;
  port: number;
  /** Path and query, e.g. `/ws?token=...`. */
  path: string;
  localAddress: string;
  origin?: string;
}

export interface RawWebSocketHandlers {
  open(): void;
  /** A complete text message, as a byte range of `buffer` valid only during the call. */
  text(buffer: Buffer, start: number, end: number): void;
  close(code: number): void;
  error(error: Error): void;
}

export class RawWebSocket {
  readonly #socket: Socket;
  readonly #handlers: RawWebSocketHandlers;
  readonly #mask = randomBytes(4);
  /** Bytes of an incomplete frame (or handshake) carried over to the next read. */
  #pending: Buffer | null = null;
  #fragments: Buffer[] = [];
  #open = false;
  #closed = false;
  #finished = false;

  constructor(options: RawWebSocketOptions, handlers: RawWebSocketHandlers) {
    this.#handlers = handlers;
    const key = randomBytes(16).toString('base64');
    this.#socket = connect({
      host: options.host,
      port: options.port,
      localAddress: options.localAddress,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.#onRead(n, buf) },
    });
    this.#socket.once('connect', () => {
      this.#socket.write(
        `GET ${options.path} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
          `${options.origin ? `Origin: ${options.origin}\r\n` : ''}\r\n`,
      );
    });
    this.#socket.on('error', (error) => {
      if (this.#open || this.#finished) return;
      this.#finished = true;
      handlers.error(error);
    });
    this.#socket.on('close', () => this.#finish(1006));
  }

  get isOpen(): boolean {
    return this.#open && !this.#closed;
  }

  /** Sends one masked text frame. */
  send(text: string): void {
    if (!this.isOpen) return;
    const length = Buffer.byteLength(text);
    const header = length < 126 ? 6 : length < 65_536 ? 8 : 14;
    const frame = Buffer.allocUnsafe(header + length);
    frame[0] = 0x80 | OP_TEXT;
    if (length < 126) frame[1] = 0x80 | length;
    else if (length < 65_536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(length), 2);
    }
    this.#mask.copy(frame, header - 4);
    frame.write(text, header, 'utf8');
    for (let i = 0; i < length; i++) frame[header + i] = (frame[header + i] ?? 0) ^ (this.#mask[i & 3] ?? 0);
    this.#socket.write(frame);
  }

  /**
   * Drops the connection at once, without a close handshake. A reset, not a FIN: a closed
   * client socket would otherwise sit in TIME_WAIT for a minute holding its port, and the
   * next system's tens of thousands of clients would run out of ports.
   */
  terminate(): void {
    this.#finished = true;
    this.#closed = true;
    if (this.#socket.readyState === 'open') this.#socket.resetAndDestroy();
    else this.#socket.destroy();
  }

  #onRead(nread: number, buf: Uint8Array): boolean {
    let data = Buffer.from(buf.buffer, buf.byteOffset, nread);
    if (this.#pending) {
      data = Buffer.concat([this.#pending, data]);
      this.#pending = null;
    }
    let offset = this.#open ? 0 : this.#handshake(data);
    if (offset < 0) return true;
    while (offset < data.length && !this.#closed) {
      const consumed = this.#frame(data, offset);
      if (consumed === 0) break;
      offset += consumed;
    }
    // The shared buffer is reused by the next read of any socket: keep a copy of the rest.
    if (offset < data.length && !this.#closed) this.#pending = Buffer.from(data.subarray(offset));
    return true;
  }

  /** Returns where frames start, or -1 while the response is incomplete (or refused). */
  #handshake(data: Buffer): number {
    const end = data.indexOf('\r\n\r\n');
    if (end < 0) {
      this.#pending = Buffer.from(data);
      return -1;
    }
    const status = data.toString('latin1', 0, data.indexOf('\r\n'));
    if (!/^HTTP\/1\.1 101 /.test(status)) {
      this.terminate();
      this.#handlers.error(new Error(`upgrade refused: ${status}`));
      return -1;
    }
    this.#open = true;
    this.#handlers.open();
    return end + 4;
  }

  /** Parses one frame at `offset`; returns the bytes it took, 0 when it is incomplete. */
  #frame(data: Buffer, offset: number): number {
    if (data.length - offset < 2) return 0;
    const b0 = data[offset] ?? 0;
    const b1 = data[offset + 1] ?? 0;
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      if (data.length - offset < 4) return 0;
      length = data.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      if (data.length - offset < 10) return 0;
      length = Number(data.readBigUInt64BE(offset + 2));
      header = 10;
    }
    if (b1 & 0x80 || length > MAX_FRAME_BYTES) {
      // Servers never mask; a masked or huge frame means the framing was lost.
      this.#socket.destroy();
      this.#finish(1002);
      return 0;
    }
    if (data.length - offset < header + length) return 0;
    const start = offset + header;
    const end = start + length;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (opcode === OP_TEXT || opcode === OP_CONTINUATION) {
      if (fin && this.#fragments.length === 0) this.#handlers.text(data, start, end);
      else {
        this.#fragments.push(Buffer.from(data.subarray(start, end)));
        if (fin) {
          const whole = Buffer.concat(this.#fragments);
          this.#fragments = [];
          this.#handlers.text(whole, 0, whole.length);
        }
      }
    } else if (opcode === OP_PING) this.#control(0xa, data.subarray(start, end));
    else if (opcode === OP_CLOSE) {
      const code = length >= 2 ? data.readUInt16BE(start) : 1005;
      this.#control(OP_CLOSE, data.subarray(start, Math.min(end, start + 2)));
      this.#socket.end();
      this.#finish(code);
    }
    return header + length;
  }

  #control(opcode: number, payload: Buffer): void {
    const frame = Buffer.allocUnsafe(6 + payload.length);
    frame[0] = 0x80 | opcode;
    frame[1] = 0x80 | payload.length;
    this.#mask.copy(frame, 2);
    for (let i = 0; i < payload.length; i++) frame[6 + i] = (payload[i] ?? 0) ^ (this.#mask[i & 3] ?? 0);
    this.#socket.write(frame);
  }

  #finish(code: number): void {
    if (this.#finished) return;
    this.#finished = true;
    const wasOpen = this.#open;
    this.#closed = true;
    this.#open = false;
    if (wasOpen) this.#handlers.close(code);
    else this.#handlers.error(new Error(`connection closed before the upgrade (${code})`));
  }
}
