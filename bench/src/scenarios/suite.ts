/** Every scenario for every system, one system at a time so they never share the CPUs. */
import type { Measurement } from '../load/measure.ts';
import type { Deployment, SystemId, SystemSpec } from '../systems/catalog.ts';
import { type BroadcastResults, runBroadcast, runCursorStorm, type SweepResult } from './broadcast.ts';
import { type IdleLevel, runIdleConnections } from './connections.ts';
import type { BenchContext } from './context.ts';
import { nodeDiagnostics } from './room.ts';

export const SCENARIOS = ['fanout', 'storm', 'idle'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export interface SystemReport {
  id: SystemId;
  label: string;
  nodes: number;
  fanout: Measurement | null;
  sweep: SweepResult | null;
  storm: Measurement | null;
  idle: IdleLevel[] | null;
  /** Idle-connection counts that could not be measured here, and why. */
  idleSkipped: { connections: number; reason: string }[];
  connectRetries: number;
  /** Connections lost while rooms filled; a room that lost any cannot deliver everything. */
  lostWhileFilling: number;
  /** Durable systems on Postgres: the op log once every scenario ran (every op once, gap-free). */
  opLog: { maps: number; ops: number; gapFree: boolean } | null;
  errors: string[];
}

const NODES = 3;

export async function runSuite(
  ctx: BenchContext,
  systems: readonly SystemSpec[],
  scenarios: ReadonlySet<ScenarioId>,
): Promise<SystemReport[]> {
  const reports: SystemReport[] = [];
  for (const system of systems) {
    const nodes = system.fixedNodes ?? NODES;
    const report: SystemReport = {
      id: system.id,
      label: system.label,
      nodes,
      fanout: null,
      sweep: null,
      storm: null,
      idle: null,
      idleSkipped: [],
      connectRetries: 0,
      lostWhileFilling: 0,
      opLog: null,
      errors: [],
    };
    reports.push(report);
    const fail = (what: string, error: unknown, deployment?: Deployment) => {
      const message = `${what}: ${error instanceof Error ? error.message : String(error)}${deployment ? nodeDiagnostics(deployment) : ''}`;
      report.errors.push(message);
      ctx.log(`  ${message}`);
    };
    const wantsStorm = scenarios.has('storm') && system.cursorStorm && ctx.config.storm;
    if (scenarios.has('fanout') || wantsStorm) {
      ctx.log(`${system.label}: ${nodes} node(s)`);
      try {
        const deployment = await system.start({
          nodes,
          redis: ctx.redis,
          cpus: ctx.cpus.servers,
          runId: ctx.runId,
        });
        try {
          if (scenarios.has('fanout')) {
            const broadcast: BroadcastResults | null = await runBroadcast(
              ctx,
              system,
              deployment,
              ctx.config.fanout,
            ).catch((error: unknown) => {
              fail('fan-out', error, deployment);
              return null;
            });
            report.fanout = broadcast?.fanout ?? null;
            report.sweep = broadcast?.sweep ?? null;
            report.connectRetries += broadcast?.connectRetries ?? 0;
            report.lostWhileFilling += broadcast?.lostWhileFilling ?? 0;
          }
          if (wantsStorm && ctx.config.storm)
            report.storm = await runCursorStorm(ctx, system, deployment, ctx.config.storm).catch(
              (error: unknown) => {
                fail('cursor storm', error, deployment);
                return null;
              },
            );
          if (deployment.opLog) {
            report.opLog = await deployment.opLog();
            ctx.log(
              `  op log: ${report.opLog.ops} ops on ${report.opLog.maps} map(s), ${report.opLog.gapFree ? 'gap-free' : 'WITH GAPS'}`,
            );
          }
        } finally {
          await deployment.stop();
        }
      } catch (error) {
        fail('start', error);
      }
    }
    if (scenarios.has('idle') && system.idleConnections && ctx.config.idle) {
      ctx.log(`${system.label}: idle connections on one node`);
      const idle = await runIdleConnections(ctx, system, ctx.config.idle).catch((error: unknown) => {
        fail('idle connections', error);
        return null;
      });
      report.idle = idle?.levels ?? null;
      report.idleSkipped = idle?.skipped ?? [];
    }
  }
  return reports;
}
