/** How big each scenario is in each mode. */

export type Mode = 'smoke' | 'quick' | 'full';

export interface BroadcastConfig {
  clients: number;
  /** Clients that also send; the offered rate is spread over them round-robin. */
  senders: number;
  ratePerS: number;
  durationMs: number;
}

export interface ModeConfig {
  fanout: BroadcastConfig;
  /** Offered broadcasts per second, tried in order until one is not sustainable. */
  sweep: {
    ratesPerS: number[];
    durationMs: number;
    /** Run every level even after one was not sustainable (`--sweep-every-level`). */
    everyLevel?: boolean;
  } | null;
  storm: { clients: number; hz: number; durationMs: number } | null;
  /** Idle connections held by one node, measured at each count in turn. */
  idle: { counts: number[]; roomSize: number } | null;
  quietMs: number;
  drainMaxMs: number;
}

export const MODES: Record<Mode, ModeConfig> = {
  smoke: {
    fanout: { clients: 12, senders: 6, ratePerS: 30, durationMs: 1_000 },
    sweep: null,
    storm: null,
    idle: null,
    quietMs: 2_000,
    drainMaxMs: 10_000,
  },
  quick: {
    fanout: { clients: 1_000, senders: 1_000, ratePerS: 20, durationMs: 5_000 },
    sweep: { ratesPerS: [10, 25, 50, 100, 200, 400, 800], durationMs: 3_000 },
    storm: { clients: 200, hz: 20, durationMs: 3_000 },
    idle: { counts: [2_000, 5_000], roomSize: 50 },
    quietMs: 1_000,
    drainMaxMs: 8_000,
  },
  full: {
    fanout: { clients: 1_000, senders: 1_000, ratePerS: 50, durationMs: 15_000 },
    sweep: {
      ratesPerS: [10, 25, 50, 75, 100, 150, 200, 300, 400, 600, 800, 1_200, 1_600],
      durationMs: 6_000,
    },
    storm: { clients: 200, hz: 20, durationMs: 10_000 },
    idle: { counts: [10_000, 25_000, 50_000], roomSize: 50 },
    quietMs: 1_500,
    drainMaxMs: 15_000,
  },
};

/** The sweep's limits: a level is sustainable when every one holds. */
export const SWEEP_LIMITS = {
  P99_MS: 100,
  MIN_COMPLETENESS: 0.99,
  /** Delivered in the window vs offered; messages still in flight when it closes make up the rest. */
  MIN_DELIVERED_FRACTION: 0.9,
} as const;
