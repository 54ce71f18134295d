/** What the coordinator tells a worker process, and what the worker answers (over IPC). */
import type { HistogramSnapshot } from './histogram.ts';

/** How one client reaches its server, by the protocol it speaks. */
export type ClientTarget =
  /** The hand-rolled ws peer and bare uWS: the payload is sent and delivered verbatim. */
  | { kind: 'raw-ws'; url: string }
  | { kind: 'socketio'; url: string; room: string }
  | {
      kind: 'meridian';
      url: string;
      token: string;
      mapId: string;
      origin: string;
      /** `presence` is the volatile path, `op` the durable one (feature.move on `featureId`). */
      path: 'presence' | 'op';
      featureId: string;
    };

export interface ClientSpec {
  target: ClientTarget;
  localAddress: string;
  clientId: string;
  sender: boolean;
}

export type WorkerCommand =
  | { kind: 'connect'; clients: ClientSpec[]; concurrency: number }
  | { kind: 'run'; epoch: number; ratePerS: number; durationMs: number }
  | { kind: 'progress' }
  | { kind: 'collect' }
  | { kind: 'disconnect' };

export interface ConnectReport {
  opened: number;
  failed: number;
  /** Connection attempts that failed and were tried again. */
  retried: number;
  firstError: string | null;
  elapsedMs: number;
}

export interface RunResult {
  sent: number;
  delivered: number;
  /** Deliveries that arrived before the sending window closed. */
  deliveredInWindow: number;
  bytes: number;
  /** Broadcasts a receiver got again (or after a newer one of the same sender): not deliveries. */
  repeats: number;
  histogram: HistogramSnapshot;
  /** `error` and `reject` messages from the server during the run. */
  serverErrors: number;
  /** Connections that closed without being asked to since the clients connected. */
  unexpectedCloses: number;
  /** Those closes by close code (1006: dropped without a close frame). */
  closeCodes: Record<string, number>;
  /** Time the sender loop ran late, a sign the load generator itself was saturated. */
  maxSendLagMs: number;
}

export type WorkerReply =
  | { kind: 'connected'; report: ConnectReport }
  | { kind: 'sent'; sent: number; maxSendLagMs: number }
  | { kind: 'progress'; delivered: number; connected: number; closed: number }
  | { kind: 'result'; result: RunResult }
  | { kind: 'disconnected' }
  | { kind: 'error'; message: string };

export interface Envelope<T> {
  id: number;
  body: T;
}
