/** What every scenario is given: the worker pool, the bus, the CPU split and the run's identity. */
import type { WorkerPool } from '../load/pool.ts';
import type { BenchRedis } from '../systems/redis.ts';
import type { ModeConfig } from './modes.ts';

export interface CpuPlan {
  /** taskset CPU list for the servers and Redis, or null when not pinned. */
  servers: string | null;
  clients: string | null;
}

export interface BenchContext {
  config: ModeConfig;
  pool: WorkerPool;
  redis: BenchRedis;
  cpus: CpuPlan;
  runId: string;
  /** A new run epoch (stamps from other runs are then ignored). */
  nextEpoch(): number;
  /** A room or map name no earlier run of this benchmark used. */
  uniqueName(prefix: string): string;
  log(line: string): void;
  /** The open-files limit every process of the run inherited (a container may cap it). */
  openFilesLimit: number;
}
