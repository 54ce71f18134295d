import { type CommitResult, commitOp, type Database } from '@meridian/db';
import type { Op, OpRecord } from '@meridian/protocol';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock.ts';
import type { Metrics } from '../metrics.ts';
import type { RoomRegistry } from './room-registry.ts';

/** Keeps track of commits in progress (connection/inflight.ts: a draining node waits for them). */
export interface CommitTracker {
  track<T>(work: Promise<T>): Promise<T>;
}

/**
 * What committing and fanning out an op needs (a ServerContext has all of it). Spelled out rather
 * than picked from ServerContext so rooms/ does not import the server context that imports it.
 */
export interface CommitPath {
  db: Database;
  bus: Bus;
  rooms: RoomRegistry;
  inflight: CommitTracker;
  metrics: Metrics;
  clock: Clock;
  config: { nodeId: string };
}

export interface OpInput {
  mapId: string;
  clientId: string;
  opId: string;
  op: Op;
}

/**
 * Commit one op (timed, and tracked so a draining node waits for it). Client ops and the server's
 * feed entries both come through here. Throws MeridianError(STORAGE_UNAVAILABLE) when storage fails.
 */
export async function commitTracked(path: CommitPath, input: OpInput): Promise<CommitResult> {
  const stopTimer = path.metrics.opCommitSeconds.startTimer();
  try {
    return await path.inflight.track(commitOp(path.db, { ...input, now: path.clock.now() }));
  } finally {
    stopTimer();
  }
}

/**
 * Deliver a committed record: local sockets straight away, peers through the bus. A duplicate is
 * published again in case the first attempt's node died between commit and publish (peers drop repeats).
 */
export function fanOut(path: CommitPath, mapId: string, record: OpRecord): void {
  path.rooms.get(mapId)?.deliver(record);
  path.bus.publish({ type: 'op', mapId, nodeId: path.config.nodeId, record });
}
