/**
 * One benchmark client per protocol, all on the same transport (`RawWebSocket`) and with
 * the same shape: connect, send a stamped broadcast, report each stamped delivery to the
 * worker's sink. Only the framing of the payload differs between systems.
 */
import { type ClientMessage, PERSON_PALETTE, PROTOCOL_VERSION } from '@meridian/protocol';
import type { ClientSpec, ClientTarget } from './plan.ts';
import { RawWebSocket } from './raw-websocket.ts';
import {
  eachCursorLatencyInBytes,
  nowUs,
  opLatencyInBytes,
  SenderStamps,
  sentStampUs,
  stampedCursor,
  stampedOpId,
} from './stamp.ts';

export interface DeliverySink {
  /** The current run's epoch; stamps from other runs are ignored. */
  epoch: number;
  onDelivery(latencyUs: number, bytes: number): void;
  /** A broadcast this receiver had already had (or an older one of the same sender): not counted. */
  onRepeat(): void;
  onServerError(): void;
  /** A live connection closed without being asked to, with the close code it got. */
  onUnexpectedClose(code: number): void;
}

export interface BenchConnection {
  send(sentUs: number): void;
  close(): void;
}

const CONNECT_TIMEOUT_MS = 30_000;
const MAX_JOIN_ATTEMPTS = 5;
const COLOR = '#3366ff';

/**
 * A distinct palette colour per client index: the map assigns colours and settles two nodes
 * handing out the same one by re-announcing the loser (an extra presence frame carrying the same
 * cursor, which would count as a second delivery). With distinct asks, up to 24 senders never
 * collide.
 */
function preferredColor(clientId: string): string {
  const index = Number(clientId.split('-').at(-1));
  return Number.isInteger(index) ? (PERSON_PALETTE[index % PERSON_PALETTE.length] as string) : COLOR;
}

/** The presence broadcast Meridian sends, used verbatim as the peers' payload so sizes match. */
export function presenceBroadcast(clientId: string, cursor: [number, number]) {
  return {
    type: 'presence',
    mapId: 'bench',
    entry: {
      clientId,
      personId: clientId,
      name: clientId,
      color: COLOR,
      role: 'edit',
      cursor,
      viewport: null,
      following: null,
    },
  };
}

const NO_OWN_ID = Buffer.alloc(0);

/**
 * One receiver's reading of presence frames, the same for every system: each stamped entry of
 * this run (but the receiver's own) counts once per sender and stamp (`SenderStamps`).
 */
function presenceReader(sink: DeliverySink, ownId: Buffer) {
  const stamps = new SenderStamps();
  const onEntry = (latencyUs: number, bytes: number, sender: string, atUs: number) => {
    if (stamps.fresh(sender, sentStampUs(atUs, latencyUs), sink.epoch)) sink.onDelivery(latencyUs, bytes);
    else sink.onRepeat();
  };
  return (buf: Buffer, start: number, end: number, atUs: number) =>
    eachCursorLatencyInBytes(buf, start, end, sink.epoch, atUs, ownId, (latencyUs, bytes, sender) =>
      onEntry(latencyUs, bytes, sender, atUs),
    );
}

interface Link {
  /** Called once the protocol's handshake is done. */
  ready(connection: BenchConnection): void;
  fail(error: Error): void;
}

type Protocol = (
  socket: () => RawWebSocket,
  link: Link,
) => {
  open(): void;
  text(buf: Buffer, start: number, end: number, atUs: number): void;
};

/** Opens the socket, runs the protocol's handshake, and watches for closes once live. */
function connectWith(url: string, spec: ClientSpec, sink: DeliverySink, protocol: Protocol, origin?: string) {
  const parsed = new URL(url);
  return new Promise<BenchConnection>((resolve, reject) => {
    let state: 'connecting' | 'live' | 'closing' = 'connecting';
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`${parsed.host}: no handshake in ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    const link: Link = {
      ready(connection) {
        clearTimeout(timer);
        state = 'live';
        resolve({
          send: connection.send,
          close: () => {
            state = 'closing';
            connection.close();
          },
        });
      },
      fail(error) {
        clearTimeout(timer);
        socket.terminate();
        reject(error);
      },
    };
    const handlers = protocol(() => socket, link);
    const socket: RawWebSocket = new RawWebSocket(
      {
        host: parsed.hostname,
        port: Number(parsed.port),
        path: `${parsed.pathname}${parsed.search}`,
        localAddress: spec.localAddress,
        ...(origin ? { origin } : {}),
      },
      {
        open: handlers.open,
        text: (buf, start, end) => handlers.text(buf, start, end, nowUs()),
        close: (code) => {
          if (state === 'live') sink.onUnexpectedClose(code);
          else if (state === 'connecting')
            link.fail(new Error(`${parsed.host} closed ${code} during the handshake`));
        },
        error: (error) => link.fail(error),
      },
    );
  });
}

/** The hand-rolled ws peer and bare uWS: the payload goes out and comes back verbatim. */
function rawWs(spec: ClientSpec, sink: DeliverySink): Protocol {
  const read = presenceReader(sink, NO_OWN_ID);
  return (socket, link) => ({
    open: () =>
      link.ready({
        send: (sentUs) =>
          socket().send(JSON.stringify(presenceBroadcast(spec.clientId, stampedCursor(sentUs, sink.epoch)))),
        close: () => socket().terminate(),
      }),
    text: read,
  });
}

/**
 * Socket.IO's wire protocol (Engine.IO 4, Socket.IO 5), as socket.io-client speaks it over
 * a WebSocket-only transport: `0{...}` open, `40` connect to the main namespace,
 * `2`/`3` ping/pong, `42["event",data]` events.
 */
function socketIo(spec: ClientSpec, sink: DeliverySink): Protocol {
  const read = presenceReader(sink, NO_OWN_ID);
  return (socket, link) => ({
    open: () => {},
    text: (buf, start, end, atUs) => {
      const first = buf[start];
      const second = buf[start + 1];
      // '4','2': an event — the hot path.
      if (first === 0x34 && second === 0x32) {
        read(buf, start, end, atUs);
        return;
      }
      if (first === 0x32 && end - start === 1) socket().send('3');
      else if (first === 0x30) socket().send('40');
      else if (first === 0x34 && second === 0x30)
        link.ready({
          send: (sentUs) =>
            socket().send(
              `42${JSON.stringify(['presence', presenceBroadcast(spec.clientId, stampedCursor(sentUs, sink.epoch))])}`,
            ),
          close: () => socket().terminate(),
        });
      else if (first === 0x34 && second === 0x34)
        link.fail(new Error(`socket.io refused: ${buf.toString('utf8', start, end)}`));
    },
  });
}

function meridian(target: Extract<ClientTarget, { kind: 'meridian' }>, spec: ClientSpec, sink: DeliverySink) {
  // The author's own presence is not a delivery (a presence batch may list it); its own op
  // broadcast is (it is how it learns the seq).
  const readPresence = presenceReader(sink, Buffer.from(spec.clientId));
  const errorMarker = Buffer.from('"type":"error"');
  const rejectMarker = Buffer.from('"type":"reject"');
  const opMarker = Buffer.from('"type":"op"');
  // Searched as a view of the message: an offset search would scan the rest of the read buffer.
  const within = (buf: Buffer, marker: Buffer, start: number, end: number) =>
    buf.subarray(start, end).indexOf(marker) >= 0;
  const protocol: Protocol = (socket, link) => {
    const send = (message: ClientMessage) => socket().send(JSON.stringify(message));
    let joined = false;
    let joinAttempts = 1;
    let opCount = 0;
    const connection: BenchConnection = {
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
      close: () => socket().terminate(),
    };
    return {
      open: () =>
        send({
          type: 'hello',
          v: PROTOCOL_VERSION,
          clientId: spec.clientId,
          name: spec.clientId,
          color: preferredColor(spec.clientId),
        }),
      text: (buf, start, end, atUs) => {
        if (joined) {
          if (target.path === 'presence') {
            readPresence(buf, start, end, atUs);
          } else if (within(buf, opMarker, start, end)) {
            const latency = opLatencyInBytes(buf, start, end, sink.epoch, atUs);
            if (latency !== null) sink.onDelivery(latency, end - start);
          }
          if (within(buf, errorMarker, start, end) || within(buf, rejectMarker, start, end))
            sink.onServerError();
          return;
        }
        const text = buf.toString('utf8', start, end);
        if (text.includes('"type":"welcome"')) send({ type: 'join', mapId: target.mapId });
        else if (text.includes('"code":"STORAGE_UNAVAILABLE"') && joinAttempts < MAX_JOIN_ATTEMPTS) {
          // What a real client does when the server says "try again shortly".
          joinAttempts++;
          setTimeout(() => send({ type: 'join', mapId: target.mapId }), 250 * joinAttempts);
        } else if (text.includes('"type":"snapshot"') || text.includes('"type":"replay"')) {
          joined = true;
          link.ready(connection);
        } else if (text.includes('"type":"error"'))
          link.fail(new Error(`meridian refused: ${text.slice(0, 200)}`));
      },
    };
  };
  return protocol;
}

export function connectClient(spec: ClientSpec, sink: DeliverySink): Promise<BenchConnection> {
  const { target } = spec;
  switch (target.kind) {
    case 'raw-ws':
      return connectWith(target.url, spec, sink, rawWs(spec, sink));
    case 'socketio': {
      const url = `${target.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket&room=${target.room}`;
      return connectWith(url, spec, sink, socketIo(spec, sink));
    }
    case 'meridian':
      return connectWith(
        `${target.url}?token=${encodeURIComponent(target.token)}`,
        spec,
        sink,
        meridian(target, spec, sink),
        target.origin,
      );
  }
}
