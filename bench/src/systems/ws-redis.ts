/**
 * Peer 3: what teams hand-roll — `ws` rooms on each node, Redis pub/sub between nodes.
 * A message is parsed once (as hand-rolled servers do, to read its room), sent at once
 * to the local room, and published for the other nodes, which skip their own echoes.
 */
import { createServer } from 'node:http';
import { createClient } from 'redis';
import { type WebSocket, WebSocketServer } from 'ws';
import { onShutdown, readPeerEnv, roomFromQuery, survive } from './env.ts';

const env = readPeerEnv();
const onBusError = survive('ws-redis bus');
const rooms = new Map<string, Set<WebSocket>>();
const origin = `${env.nodeId}\n`;

const httpServer = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404).end();
});
const wss = new WebSocketServer({ server: httpServer, path: '/ws', perMessageDeflate: false });

const pubClient = env.redisUrl === null ? null : createClient({ url: env.redisUrl });
const subClient = pubClient?.duplicate() ?? null;
pubClient?.on('error', onBusError);
subClient?.on('error', onBusError);
await Promise.all([pubClient?.connect(), subClient?.connect()]);

const channelOf = (room: string) => `${env.channelPrefix}:ws:${room}`;

function deliverLocally(room: string, data: string, except: WebSocket | null): void {
  for (const peer of rooms.get(room) ?? []) if (peer !== except) peer.send(data);
}

async function enter(room: string, socket: WebSocket): Promise<void> {
  let members = rooms.get(room);
  if (!members) {
    members = new Set();
    rooms.set(room, members);
    await subClient?.subscribe(channelOf(room), (message) => {
      if (!message.startsWith(origin)) {
        const from = message.indexOf('\n');
        deliverLocally(room, message.slice(from + 1), null);
      }
    });
  }
  members.add(socket);
}

function leave(room: string, socket: WebSocket): void {
  const members = rooms.get(room);
  if (!members) return;
  members.delete(socket);
  if (members.size === 0) {
    rooms.delete(room);
    subClient?.unsubscribe(channelOf(room)).catch(onBusError);
  }
}

wss.on('connection', (socket, req) => {
  const room = roomFromQuery(new URL(req.url ?? '/', 'http://x').searchParams.get('room'));
  enter(room, socket).catch(onBusError);
  socket.on('message', (raw, isBinary) => {
    if (isBinary) return;
    const text = raw.toString();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      socket.close(1007, 'not JSON');
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    deliverLocally(room, text, socket);
    pubClient?.publish(channelOf(room), origin + text).catch(onBusError);
  });
  socket.on('close', () => leave(room, socket));
});

httpServer.listen(env.port, '127.0.0.1');

onShutdown(async () => {
  for (const client of wss.clients) client.terminate();
  wss.close();
  httpServer.close();
  await Promise.allSettled([pubClient?.quit(), subClient?.quit()]);
});
