/**
 * The systems under test and how to run each: every one is started on loopback with
 * its nodes pinned to the server CPUs, and offers rooms its clients can join.
 */
import { fileURLToPath } from 'node:url';
import type { ClientTarget } from '../load/plan.ts';
import { startMeridian } from './meridian.ts';
import type { BenchRedis } from './redis.ts';
import { freePort, httpOk, type ManagedProcess, nodeFlags, startProcess, waitUntilReady } from './spawn.ts';

export type SystemId =
  | 'meridian'
  | 'meridian-flush10'
  | 'meridian-durable'
  | 'meridian-durable-pglite'
  | 'socketio'
  | 'ws-redis'
  | 'uws-relay'
  | 'uws-single';

export interface StartOptions {
  /** Number of nodes; systems with a bus join them through `redis`. */
  nodes: number;
  redis: BenchRedis;
  cpus: string | null;
  /** Unique per run: Redis channels and database names carry it. */
  runId: string;
}

export interface Deployment {
  readonly nodes: readonly ManagedProcess[];
  /** A room (a map, for Meridian) and how the client with a given index reaches it. */
  room(name: string): Promise<(clientIndex: number) => ClientTarget>;
  /**
   * The durable systems on Postgres: the op log after a run, per map — every op committed once
   * in a gap-free seq from 1 (`ops` counts the rows).
   */
  opLog?(): Promise<{ maps: number; ops: number; gapFree: boolean }>;
  stop(): Promise<void>;
}

export interface SystemSpec {
  id: SystemId;
  label: string;
  /** Deliveries each broadcast should make in a room of n clients. */
  receiversPerMessage(n: number): number;
  /** Fixed node count (the single-node ceiling), or null to follow the scenario. */
  fixedNodes: number | null;
  /** Whether the cursor storm and the idle-connection count apply (they measure the volatile path). */
  cursorStorm: boolean;
  idleConnections: boolean;
  start(options: StartOptions): Promise<Deployment>;
}

const entry = (file: string) => fileURLToPath(new URL(file, import.meta.url));

interface PeerNode {
  process: ManagedProcess;
  port: number;
}

async function startPeerNodes(file: string, bus: boolean, options: StartOptions): Promise<PeerNode[]> {
  const ports = await Promise.all(Array.from({ length: options.nodes }, () => freePort()));
  const nodes = ports.map((port, i): PeerNode => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      NODE_ID: `n${i}`,
      BENCH_CHANNEL_PREFIX: options.runId,
      REDIS_URL: bus ? options.redis.url : undefined,
    };
    if (!bus) delete env.REDIS_URL;
    const args = [...nodeFlags(), entry(file)];
    return { process: startProcess(`${file} n${i}`, process.execPath, args, env, options.cpus), port };
  });
  try {
    await Promise.all(
      nodes.map((node) =>
        waitUntilReady(node.process, () => httpOk(`http://127.0.0.1:${node.port}/healthz`)),
      ),
    );
  } catch (error) {
    await Promise.all(nodes.map((node) => node.process.stop()));
    throw error;
  }
  return nodes;
}

function peer(
  id: SystemId,
  label: string,
  file: string,
  options: {
    bus: boolean;
    fixedNodes: number | null;
    idle: boolean;
    target: (port: number, room: string) => ClientTarget;
  },
): SystemSpec {
  return {
    id,
    label,
    fixedNodes: options.fixedNodes,
    cursorStorm: true,
    idleConnections: options.idle,
    receiversPerMessage: (n) => n - 1,
    async start(startOptions) {
      const nodes = await startPeerNodes(file, options.bus, {
        ...startOptions,
        nodes: options.fixedNodes ?? startOptions.nodes,
      });
      return {
        nodes: nodes.map((node) => node.process),
        room: async (name) => (i) => options.target(nodes[i % nodes.length]?.port ?? 0, name),
        stop: async () => {
          await Promise.all(nodes.map((node) => node.process.stop()));
        },
      };
    },
  };
}

const rawWs = (port: number, room: string): ClientTarget => ({
  kind: 'raw-ws',
  url: `ws://127.0.0.1:${port}/ws?room=${room}`,
});

export const SYSTEMS: readonly SystemSpec[] = [
  {
    id: 'meridian',
    label: 'Meridian (volatile)',
    fixedNodes: null,
    cursorStorm: true,
    idleConnections: true,
    receiversPerMessage: (n) => n - 1,
    start: (options) => startMeridian(options, { path: 'presence' }),
  },
  {
    id: 'meridian-flush10',
    label: 'Meridian (volatile, 10 ms flush)',
    fixedNodes: null,
    cursorStorm: false,
    idleConnections: false,
    receiversPerMessage: (n) => n - 1,
    // The same service with its presence conflation tick at its minimum (default 50 ms).
    start: (options) => startMeridian(options, { path: 'presence', env: { PRESENCE_FLUSH_MS: '10' } }),
  },
  {
    id: 'meridian-durable',
    label: 'Meridian (durable ops)',
    fixedNodes: null,
    cursorStorm: false,
    idleConnections: false,
    // Every op is broadcast to everyone on the map, its author included.
    receiversPerMessage: (n) => n,
    start: (options) => startMeridian(options, { path: 'op' }),
  },
  {
    id: 'meridian-durable-pglite',
    label: 'Meridian (durable ops, embedded PGlite)',
    // PGlite allows one process per data folder, so this is the one-node configuration.
    fixedNodes: 1,
    cursorStorm: false,
    idleConnections: false,
    receiversPerMessage: (n) => n,
    start: (options) => startMeridian(options, { path: 'op', database: 'pglite' }),
  },
  peer('socketio', 'Socket.IO + Redis adapter', './socketio.ts', {
    bus: true,
    fixedNodes: null,
    idle: true,
    target: (port, room) => ({ kind: 'socketio', url: `http://127.0.0.1:${port}`, room }),
  }),
  peer('ws-redis', 'ws + Redis pub/sub', './ws-redis.ts', {
    bus: true,
    fixedNodes: null,
    idle: true,
    target: rawWs,
  }),
  peer('uws-relay', 'bare uWS + Redis relay', './uws-bare.ts', {
    bus: true,
    fixedNodes: null,
    idle: false,
    target: rawWs,
  }),
  peer('uws-single', 'bare uWS, one node', './uws-bare.ts', {
    bus: false,
    fixedNodes: 1,
    idle: true,
    target: rawWs,
  }),
];

export function systemById(id: string): SystemSpec {
  const spec = SYSTEMS.find((s) => s.id === id);
  if (!spec) throw new Error(`unknown system ${id}; known: ${SYSTEMS.map((s) => s.id).join(', ')}`);
  return spec;
}
