/**
 * Peer 4, the ceiling: bare uWebSockets.js. A message is published to the room's topic
 * untouched — no parsing, no validation, no persistence. With REDIS_URL it also relays
 * every message to the other nodes over one Redis channel per room (the minimal bus);
 * without it, it is one node alone.
 */

import uWS from 'uWebSockets.js';
import { createClient } from 'redis';
import { onShutdown, readPeerEnv, roomFromQuery, survive } from './env.ts';

interface Peer {
  room: string;
}

const env = readPeerEnv();
const onBusError = survive('uws relay');
const origin = Buffer.from(`${env.nodeId}\n`);

/**
 * Large enough that a 1,000-client burst is queued, not skipped (uWS silently skips a
 * subscriber over this limit): the benchmark counts every delivery.
 */
const MAX_BACKPRESSURE_BYTES = 16 * 1024 * 1024;
const IDLE_TIMEOUT_S = 120;

const pubClient = env.redisUrl === null ? null : createClient({ url: env.redisUrl });
const subClient = pubClient?.duplicate() ?? null;
pubClient?.on('error', onBusError);
subClient?.on('error', onBusError);
await Promise.all([pubClient?.connect(), subClient?.connect()]);

const channelOf = (room: string) => `${env.channelPrefix}:uws:${room}`;
const subscribedRooms = new Set<string>();

const app = uWS.App();

function relayFromBus(room: string, message: Buffer): void {
  if (message.subarray(0, origin.length).equals(origin)) return;
  app.publish(room, message.subarray(message.indexOf(10) + 1), false);
}

app.ws<Peer>('/ws', {
  compression: uWS.DISABLED,
  maxPayloadLength: 64 * 1024,
  maxBackpressure: MAX_BACKPRESSURE_BYTES,
  idleTimeout: IDLE_TIMEOUT_S,
  upgrade: (res, req, context) => {
    res.upgrade<Peer>(
      { room: roomFromQuery(req.getQuery('room')) },
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  open: (ws) => {
    const { room } = ws.getUserData();
    ws.subscribe(room);
    if (subClient && !subscribedRooms.has(room)) {
      subscribedRooms.add(room);
      subClient.subscribe(channelOf(room), (message) => relayFromBus(room, message), true).catch(onBusError);
    }
  },
  message: (ws, message, isBinary) => {
    const { room } = ws.getUserData();
    ws.publish(room, message, isBinary);
    // The ArrayBuffer is only valid during this call; concat copies it.
    pubClient?.publish(channelOf(room), Buffer.concat([origin, Buffer.from(message)])).catch(onBusError);
  },
});

app.get('/healthz', (res) => {
  res.end('ok');
});

let listenSocket: uWS.us_listen_socket | null = null;
app.listen('127.0.0.1', env.port, (socket) => {
  if (!socket) {
    process.stderr.write(`uws-bare: cannot listen on ${env.port}\n`);
    process.exit(1);
  }
  listenSocket = socket;
});

onShutdown(async () => {
  if (listenSocket) uWS.us_listen_socket_close(listenSocket);
  app.close();
  await Promise.allSettled([pubClient?.quit(), subClient?.quit()]);
});
