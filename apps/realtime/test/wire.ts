import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { inflateRawSync, constants as zlibConstants } from 'node:zlib';
import { waitFor } from './wait.ts';

/** RFC 6455 §1.3: appended to the key before hashing into Sec-WebSocket-Accept. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const Opcode = { CONTINUATION: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 } as const;

export function expectedAccept(key: string): string {
  return createHash('sha1')
    .update(key + WEBSOCKET_GUID)
    .digest('base64');
}

export interface WireFrame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
}

/** Encode one frame as RFC 6455 §5.2 lays it out; clients mask (§5.3) unless told not to. */
export function encodeFrame(
  opcode: number,
  payload: Buffer | string,
  { fin = true, mask = true, rsv1 = false }: { fin?: boolean; mask?: boolean; rsv1?: boolean } = {},
): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const length = body.length;
  const lengthBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const head = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = mask ? 0x80 : 0;
  if (lengthBytes === 0) head[1] = maskBit | length;
  else if (lengthBytes === 2) {
    head[1] = maskBit | 126;
    head.writeUInt16BE(length, 2);
  } else {
    head[1] = maskBit | 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!mask) return Buffer.concat([head, body]);
  const key = randomBytes(4);
  key.copy(head, 2 + lengthBytes);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = (body[i] ?? 0) ^ (key[i % 4] ?? 0);
  return Buffer.concat([head, masked]);
}

/** A close frame's payload: the code then the UTF-8 reason (§5.5.1). */
export function closePayload(code: number, reason = ''): Buffer {
  const buffer = Buffer.alloc(2 + Buffer.byteLength(reason));
  buffer.writeUInt16BE(code, 0);
  buffer.write(reason, 2);
  return buffer;
}

/**
 * permessage-deflate (RFC 7692 §7.2.2): inflate after appending the flush marker the sender
 * removed. Sync flush: uWS ends its messages with an empty final block, which is also valid.
 */
export function inflateMessage(payload: Buffer): Buffer {
  return inflateRawSync(Buffer.concat([payload, Buffer.from([0x00, 0x00, 0xff, 0xff])]), {
    finishFlush: zlibConstants.Z_SYNC_FLUSH,
  });
}

export interface UpgradeResponse {
  statusLine: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A WebSocket client written on a raw TCP socket: the test controls every byte of the handshake
 * and of each frame, and sees exactly what the server sends back.
 */
export class WireClient {
  readonly socket: Socket;
  #buffer = Buffer.alloc(0);
  #response: UpgradeResponse | null = null;
  #frames: WireFrame[] = [];
  #ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    socket.on('close', () => {
      this.#ended = true;
    });
    socket.on('error', () => {
      this.#ended = true;
    });
  }

  static connect(port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new WireClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Send a request head (lines without the final blank line) and wait for the response head. */
  async request(lines: string[]): Promise<UpgradeResponse> {
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    return waitFor('the HTTP response', () => this.#response ?? (this.#ended ? null : undefined), {
      timeoutMs: 5000,
    }).then((response) => {
      if (!response) throw new Error('the server closed the connection before answering');
      return response;
    });
  }

  /** Open a WebSocket on `path` with these extra header lines; throws unless the answer is 101. */
  async upgrade(path: string, extra: string[] = []): Promise<UpgradeResponse> {
    const key = randomBytes(16).toString('base64');
    const response = await this.request([
      `GET ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
      ...extra,
    ]);
    if (response.status !== 101) throw new Error(`upgrade refused: ${response.statusLine} ${response.body}`);
    if (response.headers['sec-websocket-accept'] !== expectedAccept(key)) {
      throw new Error(`wrong Sec-WebSocket-Accept ${response.headers['sec-websocket-accept']}`);
    }
    return response;
  }

  send(frame: Buffer): void {
    this.socket.write(frame);
  }

  /** Wait for the next frame from the server (or null if the connection ended first). */
  async nextFrame(timeoutMs = 5000): Promise<WireFrame | null> {
    const found = await waitFor(
      'a frame from the server',
      () =>
        this.#frames.length > 0
          ? { frame: this.#frames.shift() ?? null }
          : this.#ended
            ? { frame: null }
            : null,
      { timeoutMs, intervalMs: 5 },
    );
    return found.frame;
  }

  /** Resolves once the server has closed the TCP connection. */
  async ended(timeoutMs = 5000): Promise<true> {
    return waitFor('the connection to end', () => this.#ended || null, { timeoutMs }).then(() => true);
  }

  destroy(): void {
    this.socket.destroy();
  }

  #parse(): void {
    if (!this.#response) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine = '', ...headerLines] = this.#buffer
        .subarray(0, end)
        .toString('latin1')
        .split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = Number(statusLine.split(' ')[1]);
      let rest = this.#buffer.subarray(end + 4);
      let body = '';
      if (status !== 101) {
        const length = Number(headers['content-length'] ?? rest.length);
        if (rest.length < length) return;
        body = rest.subarray(0, length).toString('utf8');
        rest = rest.subarray(length);
      }
      this.#response = { statusLine, status, headers, body };
      this.#buffer = rest;
    }
    for (;;) {
      const frame = this.#readFrame();
      if (!frame) return;
      this.#frames.push(frame);
    }
  }

  #readFrame(): WireFrame | null {
    const buf = this.#buffer;
    if (buf.length < 2) return null;
    const b0 = buf[0] ?? 0;
    const b1 = buf[1] ?? 0;
    let length = b1 & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (buf.length < 4) return null;
      length = buf.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (buf.length < 10) return null;
      length = Number(buf.readBigUInt64BE(2));
      offset = 10;
    }
    // Servers never mask (§5.1); a masked frame would be a server bug, which the tests would show.
    if (b1 & 0x80) throw new Error('the server sent a masked frame');
    if (buf.length < offset + length) return null;
    const payload = Buffer.from(buf.subarray(offset, offset + length));
    this.#buffer = buf.subarray(offset + length);
    return { fin: (b0 & 0x80) !== 0, rsv1: (b0 & 0x40) !== 0, opcode: b0 & 0x0f, payload };
  }
}
