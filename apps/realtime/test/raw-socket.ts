import { request } from 'node:http';
import { PROTOCOL_VERSION } from '@meridian/protocol';
import WebSocket from 'ws';
import { waitFor } from './wait.ts';

export interface ServerFrame {
  type: string;
  [key: string]: unknown;
}

/** A bare WebSocket for protocol-level tests: send anything, read frames as parsed JSON. */
export class RawSocket {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #closeInfo: { code: number; reason: string } | null = null;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        this.frames.push(JSON.parse(data.toString()) as ServerFrame);
      } catch {
        this.frames.push({ type: '<unparseable>', raw: data.toString() });
      }
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.#closeInfo = { code, reason: reason.toString() };
        resolve(this.#closeInfo);
      });
    });
  }

  static open(
    url: string,
    options: { origin?: string; perMessageDeflate?: boolean } = {},
  ): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        ...(options.origin ? { origin: options.origin } : {}),
        ...(options.perMessageDeflate === false ? { perMessageDeflate: false } : {}),
        maxPayload: 64 * 1024 * 1024,
      });
      const socket = new RawSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  get closeInfo(): { code: number; reason: string } | null {
    return this.#closeInfo;
  }

  send(data: unknown): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data));
  }

  /** The first frame (from index `from`) matching `type` and `match`; waits for it. */
  async next(
    type: string,
    match: (frame: ServerFrame) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<ServerFrame> {
    return waitFor(`a ${type} frame`, () => this.frames.find((f) => f.type === type && match(f)), {
      timeoutMs,
    });
  }

  count(type: string): number {
    return this.frames.filter((f) => f.type === type).length;
  }

  /** hello → welcome → join → snapshot. */
  async joinMap(mapId: string, clientId: string, extra: Record<string, unknown> = {}): Promise<ServerFrame> {
    this.send({ type: 'hello', v: PROTOCOL_VERSION, clientId, name: clientId, color: '#112233' });
    await this.next('welcome').catch((error: Error) => {
      throw new Error(
        `${error.message}; state ${this.ws.readyState}, close ${JSON.stringify(this.#closeInfo)}, frames ${JSON.stringify(this.frames)}, url ${this.ws.url}`,
      );
    });
    this.send({ type: 'join', mapId, ...extra });
    // A big map's snapshot streams (snapshotBegin, chunks, snapshotEnd): joined at its end.
    return waitFor('a snapshot, a streamed snapshot’s end or a replay', () =>
      this.frames.find((f) => f.type === 'snapshot' || f.type === 'snapshotEnd' || f.type === 'replay'),
    );
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** Attempt an upgrade with raw headers; resolves with the HTTP status (101 when it was accepted). */
export function upgradeStatus(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export const UPGRADE_HEADERS = {
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
};
