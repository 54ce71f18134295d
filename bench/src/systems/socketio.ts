/**
 * Peer 2: Socket.IO 4 with the Redis adapter, set up the way its docs recommend for
 * production: WebSocket transport only, the Redis adapter for several nodes, ws with
 * its native add-on (bufferutil), and the upgrade request discarded to save memory
 * (https://socket.io/docs/v4/performance-tuning/).
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { onShutdown, readPeerEnv, roomFromQuery, survive } from './env.ts';

const env = readPeerEnv();
// The adapter publishes without awaiting; a Redis timeout under overload must not end the node.
const onBusError = survive('socket.io redis adapter');
if (env.redisUrl === null) throw new Error('the Socket.IO peer always runs with its Redis adapter');

const httpServer = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404).end();
});

const pubClient = createClient({ url: env.redisUrl });
const subClient = pubClient.duplicate();
pubClient.on('error', onBusError);
subClient.on('error', onBusError);
await Promise.all([pubClient.connect(), subClient.connect()]);

const io = new Server(httpServer, {
  transports: ['websocket'],
  serveClient: false,
  adapter: createAdapter(pubClient, subClient, { key: `${env.channelPrefix}:sio` }),
});

io.engine.on('connection', (rawSocket: { request: unknown }) => {
  rawSocket.request = null;
});

io.on('connection', (socket) => {
  const room = roomFromQuery(String(socket.handshake.query.room ?? ''));
  socket.join(room);
  socket.on('presence', (entry: unknown) => {
    socket.to(room).emit('presence', entry);
  });
});

httpServer.listen(env.port, '127.0.0.1');

onShutdown(async () => {
  io.close();
  await Promise.allSettled([pubClient.quit(), subClient.quit()]);
});
