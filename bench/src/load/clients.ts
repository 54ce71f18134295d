/**
 * One benchmark client per protocol, all with the same shape: connect, send a stamped
 * broadcast, report each stamped delivery to the worker's sink.
 */
import type { ClientMessage } from '@meridian/protocol';
import { PROTOCOL_VERSION } from '@meridian/protocol';
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import WebSocket from 'ws';
import type { ClientSpec, ClientTarget } from './plan.ts';
import {
  cursorLatencyInText,
  cursorLatencyUs,
  nowUs,
  opLatencyInText,
  stampedCursor,
  stampedOpId,
} from './stamp.ts';

export interface DeliverySink {
  /** The current run's epoch; stamps from other runs are ignored. */
  epoch: number;
  onDelivery(latencyUs: number, bytes: number): void;
  onServerError(): void;
  onUnexpectedClose(): void;
}

type ConnectionState = 'connecting' | 'live' | 'closing';

export interface BenchConnection {
  send(sentUs: number): void;
  close(): void;
}

const CONNECT_TIMEOUT_MS = 30_000;
const MAX_JOIN_ATTEMPTS = 5;
const COLOR = '#3366ff';

/** The presence broadcast Meridian sends, used verbatim as the peers' payload so sizes match. */
function presenceBroadcast(clientId: string, cursor: [number, number]) {
  return {
    type: 'presence',
    mapId: 'bench',
    entry: { clientId, name: clientId, color: COLOR, role: 'edit', cursor, viewport: null, following: null },
  };
}

function withTimeout<T>(
  what: string,
  start: (resolve: (value: T) => void, reject: (e: Error) => void) => void,
) {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: no answer in ${CONNECT_TIMEOUT_MS} ms`)),
      CONNECT_TIMEOUT_MS,
    );
    start(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function openWebSocket(url: string, spec: ClientSpec, origin?: string): WebSocket {
  return new WebSocket(url, {
    localAddress: spec.localAddress,
    perMessageDeflate: false,
    ...(origin ? { origin } : {}),
  });
}

function connectRawWs(url: string, spec: ClientSpec, sink: DeliverySink): Promise<BenchConnection> {
  const ws = openWebSocket(url, spec);
  let state: ConnectionState = 'connecting';
  ws.on('message', (data: Buffer) => {
    const latency = cursorLatencyInText(data.toString(), sink.epoch, nowUs());
    if (latency !== null) sink.onDelivery(latency, data.length);
  });
  ws.on('close', () => {
    if (state === 'live') sink.onUnexpectedClose();
  });
  return withTimeout(`raw ws ${url}`, (resolve, reject) => {
    ws.once('open', () => {
      state = 'live';
      resolve({
        send: (sentUs) =>
          ws.send(JSON.stringify(presenceBroadcast(spec.clientId, stampedCursor(sentUs, sink.epoch)))),
        close: () => {
          state = 'closing';
          ws.terminate();
        },
      });
    });
    ws.once('error', reject);
  });
}

interface StampedPresence {
  entry: { clientId: string; cursor: [number, number] };
}

function isStampedPresence(value: unknown): value is StampedPresence {
  if (typeof value !== 'object' || value === null || !('entry' in value)) return false;
  const entry = value.entry;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    'cursor' in entry &&
    Array.isArray(entry.cursor) &&
    typeof entry.cursor[0] === 'number' &&
    typeof entry.cursor[1] === 'number'
  );
}

function connectSocketIo(
  url: string,
  room: string,
  spec: ClientSpec,
  sink: DeliverySink,
): Promise<BenchConnection> {
  // socket.io-client passes localAddress on to ws; its option types do not list it.
  const options: Partial<ManagerOptions & SocketOptions> & { localAddress: string } = {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    query: { room },
    localAddress: spec.localAddress,
  };
  const socket = io(url, options);
  let state: ConnectionState = 'connecting';
  let frameBytes = 0;
  socket.on('presence', (message: unknown) => {
    const at = nowUs();
    if (!isStampedPresence(message)) return;
    const latency = cursorLatencyUs(message.entry.cursor[0], message.entry.cursor[1], sink.epoch, at);
    if (latency === null) return;
    sink.onDelivery(latency, frameBytes);
  });
  socket.on('disconnect', () => {
    if (state === 'live') sink.onUnexpectedClose();
  });
  return withTimeout(`socket.io ${url}`, (resolve, reject) => {
    socket.once('connect', () => {
      // Frames are decoded before the event fires: remember the last frame's size.
      socket.io.engine.on('data', (data: unknown) => {
        frameBytes = typeof data === 'string' ? Buffer.byteLength(data) : 0;
      });
      state = 'live';
      resolve({
        send: (sentUs) => {
          socket.emit('presence', presenceBroadcast(spec.clientId, stampedCursor(sentUs, sink.epoch)));
        },
        close: () => {
          state = 'closing';
          socket.disconnect();
        },
      });
    });
    socket.once('connect_error', reject);
  });
}

/**
 * An idle Socket.IO client speaking Engine.IO v4 / Socket.IO v5 over a bare ws: open
 * (`0{...}`), connect to the main namespace (`40`), answer pings (`2` -> `3`).
 */
function connectIdleSocketIo(url: string, room: string, spec: ClientSpec, sink: DeliverySink) {
  const wsUrl = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket&room=${room}`;
  const ws = openWebSocket(wsUrl, spec);
  let state: ConnectionState = 'connecting';
  ws.on('close', () => {
    if (state === 'live') sink.onUnexpectedClose();
  });
  return withTimeout<BenchConnection>(`socket.io (idle) ${url}`, (resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text === '2') ws.send('3');
      else if (text.startsWith('0{')) ws.send('40');
      else if (text.startsWith('40')) {
        state = 'live';
        resolve({
          send: () => {},
          close: () => {
            state = 'closing';
            ws.terminate();
          },
        });
      } else if (text.startsWith('44')) reject(new Error(`socket.io refused: ${text}`));
    });
    ws.once('error', reject);
  });
}

function connectMeridian(
  target: Extract<ClientTarget, { kind: 'meridian' }>,
  spec: ClientSpec,
  sink: DeliverySink,
): Promise<BenchConnection> {
  const ws = openWebSocket(`${target.url}?token=${encodeURIComponent(target.token)}`, spec, target.origin);
  const send = (message: ClientMessage) => ws.send(JSON.stringify(message));
  // The author's own presence is not a delivery; its own op broadcast is (it is how it learns the seq).
  const ownPresence = `"clientId":"${spec.clientId}"`;
  let joined = false;
  let state: ConnectionState = 'connecting';
  let opCount = 0;
  let joinAttempts = 1;
  ws.on('close', () => {
    if (state === 'live') sink.onUnexpectedClose();
  });
  return withTimeout(`meridian ${target.url}`, (resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      const at = nowUs();
      const text = data.toString();
      if (joined) {
        if (target.path === 'presence') {
          if (text.includes(ownPresence)) return;
          const latency = cursorLatencyInText(text, sink.epoch, at);
          if (latency !== null) sink.onDelivery(latency, data.length);
        } else if (text.includes('"type":"op"')) {
          const latency = opLatencyInText(text, sink.epoch, at);
          if (latency !== null) sink.onDelivery(latency, data.length);
        }
        if (text.includes('"type":"error"') || text.includes('"type":"reject"')) sink.onServerError();
        return;
      }
      if (text.includes('"type":"welcome"')) send({ type: 'join', mapId: target.mapId });
      else if (text.includes('"code":"STORAGE_UNAVAILABLE"') && joinAttempts < MAX_JOIN_ATTEMPTS) {
        // What a real client does when the server says "try again shortly".
        joinAttempts++;
        setTimeout(() => send({ type: 'join', mapId: target.mapId }), 250 * joinAttempts);
      } else if (text.includes('"type":"snapshot"') || text.includes('"type":"replay"')) {
        joined = true;
        state = 'live';
        resolve({
          send: (sentUs) => {
            if (target.path === 'presence') {
              send({ type: 'presence', mapId: target.mapId, cursor: stampedCursor(sentUs, sink.epoch) });
              return;
            }
            send({
              type: 'op',
              mapId: target.mapId,
              opId: stampedOpId(sentUs, sink.epoch, spec.clientId, opCount++),
              op: {
                kind: 'feature.move',
                id: target.featureId,
                geometry: { type: 'Point', coordinates: stampedCursor(sentUs, sink.epoch) },
              },
            });
          },
          close: () => {
            state = 'closing';
            ws.terminate();
          },
        });
      } else if (text.includes('"type":"error"'))
        reject(new Error(`meridian refused: ${text.slice(0, 200)}`));
    });
    ws.once('open', () =>
      send({
        type: 'hello',
        v: PROTOCOL_VERSION,
        clientId: spec.clientId,
        name: spec.clientId,
        color: COLOR,
      }),
    );
    ws.once('close', (code, reason) => reject(new Error(`meridian closed ${code} ${reason.toString()}`)));
    ws.once('error', reject);
  });
}

export function connectClient(spec: ClientSpec, sink: DeliverySink): Promise<BenchConnection> {
  const { target } = spec;
  switch (target.kind) {
    case 'raw-ws':
      return connectRawWs(target.url, spec, sink);
    case 'socketio':
      return spec.idle
        ? connectIdleSocketIo(target.url, target.room, spec, sink)
        : connectSocketIo(target.url, target.room, spec, sink);
    case 'meridian':
      return connectMeridian(target, spec, sink);
  }
}
