/**
 * The hostile client of the reliability benchmark, in its own process so its work does not
 * slow the measuring client: one connection that sends as fast as its socket takes frames,
 * either ops (edit role) or `sync {1..1000}` (view role), for a fixed time. When the server closes
 * it (1008), it connects again and goes on, as an attacker would. Reports what it got back.
 */
import { PROTOCOL_VERSION } from '@meridian/protocol';
import WebSocket from 'ws';

export interface FloodSpec {
  url: string;
  token: string;
  mapId: string;
  origin: string;
  kind: 'ops' | 'sync';
  seconds: number;
  /** For `sync`: the range asked each time. */
  syncTo: number;
}

export interface FloodReport {
  sent: number;
  connections: number;
  closes: Record<string, number>;
  acks: number;
  rejects: Record<string, number>;
  replays: number;
  errors: Record<string, number>;
}

/** Stop writing while this much is waiting in the socket (the server reads as fast as it will). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Frames written per turn of the event loop, so replies are read in between. */
const BATCH = 50;

const count = (table: Record<string, number>, key: string) => {
  table[key] = (table[key] ?? 0) + 1;
};

function flood(spec: FloodSpec): Promise<FloodReport> {
  const report: FloodReport = {
    sent: 0,
    connections: 0,
    closes: {},
    acks: 0,
    rejects: {},
    replays: 0,
    errors: {},
  };
  const endAt = Date.now() + spec.seconds * 1000;
  let next = 0;
  const message = (): string => {
    const k = next++;
    if (spec.kind === 'sync') {
      return JSON.stringify({ type: 'sync', mapId: spec.mapId, fromSeq: 1, toSeq: spec.syncTo });
    }
    return JSON.stringify({
      type: 'op',
      mapId: spec.mapId,
      opId: `flood-${k}`,
      op: {
        kind: 'feature.create',
        feature: {
          type: 'Feature',
          id: `flood-${k}`,
          geometry: { type: 'Point', coordinates: [(k % 360) - 180, (k % 170) - 85] },
          properties: { title: `flood ${k}` },
          version: 0,
        },
      },
    });
  };

  return new Promise((resolve) => {
    const connect = () => {
      if (Date.now() >= endAt) {
        resolve(report);
        return;
      }
      report.connections++;
      const ws = new WebSocket(`${spec.url}?token=${encodeURIComponent(spec.token)}`, {
        origin: spec.origin,
      });
      let joined = false;
      const pump = () => {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (Date.now() >= endAt) {
          ws.close(1000);
          return;
        }
        for (let i = 0; i < BATCH && ws.bufferedAmount < MAX_BUFFERED_BYTES; i++) {
          ws.send(message());
          report.sent++;
        }
        setImmediate(pump);
      };
      ws.on('open', () =>
        ws.send(
          JSON.stringify({
            type: 'hello',
            v: PROTOCOL_VERSION,
            clientId: `flooder-${report.connections}`,
            name: 'flooder',
            color: '#ff0000',
          }),
        ),
      );
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        const type = /^\{"type":"([a-zA-Z]+)"/.exec(text)?.[1];
        if (type === 'welcome') ws.send(JSON.stringify({ type: 'join', mapId: spec.mapId }));
        else if ((type === 'snapshot' || type === 'replay') && !joined) {
          joined = true;
          pump();
        } else if (type === 'ack') report.acks++;
        else if (type === 'reject') count(report.rejects, /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? '?');
        else if (type === 'replay') report.replays++;
        else if (type === 'error') count(report.errors, /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? '?');
      });
      ws.on('error', () => {});
      ws.on('close', (code) => {
        count(report.closes, String(code));
        setTimeout(connect, 50);
      });
    };
    connect();
  });
}

process.once('message', (spec: FloodSpec) => {
  void flood(spec).then((report) => {
    process.send?.(report, () => process.exit(0));
  });
});
