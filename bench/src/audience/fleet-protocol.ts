/** What travels between the audience run (fleet.ts) and its viewer processes (viewers.ts). */
import type { HistogramSnapshot } from '../load/histogram.ts';

export interface ViewerCounts {
  joined: number;
  /** Op frames of the measured window (seq above the set-up's). */
  ops: number;
  /** Frames of the measured window, by type (presence: `presence` and `presenceBatch` frames). */
  presence: number;
  audience: number;
  other: number;
  closes: number;
  /** Viewers that never joined (refused, closed or errored first). */
  failed: number;
}

export type FleetCommand =
  | {
      type: 'open';
      host: string;
      ports: number[];
      /** Path and query with the map's token. */
      path: string;
      origin: string;
      mapId: string;
      protocolVersion: number;
      /** Global viewer indices this process holds (viewer i goes to node i % ports.length). */
      indices: number[];
      concurrency: number;
    }
  | { type: 'measure'; seqBefore: number }
  | { type: 'sent'; opId: string; atMs: number }
  | { type: 'report' }
  | { type: 'stop' };

export type FleetReply =
  | { type: 'ready' }
  | { type: 'measuring' }
  | { type: 'progress'; counts: ViewerCounts }
  | { type: 'opened'; counts: ViewerCounts; firstError: string | null }
  | {
      type: 'report';
      counts: ViewerCounts;
      latency: HistogramSnapshot;
      /** This process's event-loop delay over the measured window: a starved generator shows here. */
      loopDelayP99Ms: number;
      loopDelayMaxMs: number;
      firstError: string | null;
    };
