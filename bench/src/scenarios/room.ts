/** Filling a room with benchmark clients spread over the nodes and the load workers. */
import type { ClientSpec } from '../load/plan.ts';
import type { Deployment } from '../systems/catalog.ts';
import type { BenchContext } from './context.ts';

/**
 * Loopback source addresses: each holds at most this many client ports, well under the
 * ~28k ephemeral ports Linux gives one source address.
 */
const CLIENTS_PER_SOURCE_ADDRESS = 10_000;
/** Source addresses a run may use, 127.0.1.0 onwards (127.0.0.x is left to the servers). */
const SOURCE_ADDRESSES = 250 * 250;

/** The n-th loopback source address, 127.0.1.0 onwards. */
export function sourceAddress(n: number): string {
  const k = (n % SOURCE_ADDRESSES) + 250;
  return `127.0.${Math.floor(k / 250)}.${(k % 250) + 1}`;
}

/**
 * Each room starts on fresh source addresses, so ports its predecessor's clients left
 * behind (a socket the server closed lingers in TIME_WAIT) are never needed again.
 */
let nextSourceAddress = 0;

export interface RoomOptions {
  name: string;
  clients: number;
  senders: number;
  /** Index of the first client, when adding to connections already held. */
  firstIndex?: number;
  /** Clients per room; more rooms are made when the clients outnumber it. */
  roomSize?: number;
  /** Handshakes in flight per load worker. */
  concurrency?: number;
}

export interface OpenedRoom {
  senderShares: number[];
  opened: number;
  retried: number;
  /** Connections that closed after connecting, before the room was full (never reopened). */
  lost: number;
}

export async function openRoom(
  ctx: BenchContext,
  deployment: Deployment,
  options: RoomOptions,
): Promise<OpenedRoom> {
  const first = options.firstIndex ?? 0;
  const roomSize = options.roomSize ?? options.clients;
  const specs: ClientSpec[] = [];
  const firstAddress = nextSourceAddress;
  nextSourceAddress += Math.ceil(options.clients / CLIENTS_PER_SOURCE_ADDRESS);
  let targetFor: Awaited<ReturnType<Deployment['room']>> | null = null;
  for (let i = 0; i < options.clients; i++) {
    const index = first + i;
    if (i % roomSize === 0)
      targetFor = await deployment.room(`${options.name}-${Math.floor(index / roomSize)}`);
    if (!targetFor) throw new Error('no room');
    specs.push({
      target: targetFor(index),
      localAddress: sourceAddress(firstAddress + Math.floor(i / CLIENTS_PER_SOURCE_ADDRESS)),
      clientId: `${options.name}-${index}`,
      // The first clients send: consecutive indexes spread them over every node and worker.
      sender: i < options.senders,
    });
  }
  const started = Date.now();
  const report = await ctx.pool.connect(specs, options.concurrency, (connected) =>
    ctx.log(`  … ${connected} connections held after ${((Date.now() - started) / 1e3).toFixed(0)} s`),
  );
  if (report.failed > 0)
    throw new Error(
      `${report.failed} of ${options.clients} clients failed to connect: ${report.firstError}${nodeDiagnostics(deployment)}`,
    );
  const progress = await ctx.pool.each('progress', () => ({ kind: 'progress' }));
  const lost = progress.reduce((n, r) => n + r.closed, 0);
  if (lost > 0) ctx.log(`  ${lost} connection(s) were lost after connecting, while the room filled`);
  if (report.retried > 0)
    ctx.log(`  ${report.retried} connection attempt(s) failed and were retried; first: ${report.firstError}`);
  return { senderShares: report.senderShares, opened: report.opened, retried: report.retried, lost };
}

/** What the nodes said (and whether they died), to explain a failure. */
export function nodeDiagnostics(deployment: Deployment): string {
  return deployment.nodes
    .map((node) => {
      const { exitCode, signalCode } = node.child;
      const state = exitCode !== null || signalCode !== null ? ` exited (${exitCode ?? signalCode})` : '';
      const tail = node.stderrTail().trim().split('\n').slice(-5).join('\n    ');
      return state || tail ? `\n  ${node.name}${state}${tail ? `:\n    ${tail}` : ''}` : '';
    })
    .join('');
}
