/**
 * One viewer process of the audience run: holds its share of the viewers (raw sockets joined to
 * the map, doing nothing) and counts what they are sent. Driven over IPC by `ViewerFleet`
 * (fleet.ts); it exits when the coordinator goes away.
 *
 * Cheap on purpose, so that ten thousand viewers on a 2-core machine measure the nodes and not
 * this process: a frame is classified by its first bytes, an op's seq is read from its bytes
 * in place, and an op's latency is looked up per seq (the first viewer of this process to get
 * seq N reads its opId; the others reuse the answer). Nothing is parsed as JSON.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { LatencyHistogram } from '../load/histogram.ts';
import { RawWebSocket } from '../load/raw-websocket.ts';
import type { FleetCommand, FleetReply, ViewerCounts } from './fleet-protocol.ts';

const OP_PREFIX = Buffer.from('{"type":"op"');
/** A cursor: one entry, or (from a node's flush) a batch of them. */
const PRESENCE_PREFIX = Buffer.from('{"type":"presence"');
const PRESENCE_BATCH_PREFIX = Buffer.from('{"type":"presenceBatch"');
const AUDIENCE_PREFIX = Buffer.from('{"type":"audience"');
/** A streamed snapshot's last frame (v3), or the one-frame snapshot. */
const SNAPSHOT_END_PREFIX = Buffer.from('{"type":"snapshotEnd"');
const SNAPSHOT_ONE_PREFIX = Buffer.from('{"type":"snapshot",');
const SEQ_KEY = Buffer.from('"seq":');
const OP_ID_KEY = Buffer.from('"opId":"');
const QUOTE = 0x22;
const PROGRESS_EVERY_MS = 200;

const startsWith = (buffer: Buffer, start: number, end: number, prefix: Buffer) =>
  end - start >= prefix.length &&
  buffer.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0;

/** Wall-clock ms with sub-ms precision, comparable across the run's processes. */
const nowMs = () => performance.timeOrigin + performance.now();

/** The integer after `"seq":` in [start, end), or 0. */
function seqOf(buffer: Buffer, start: number, end: number): number {
  const at = buffer.indexOf(SEQ_KEY, start);
  if (at < 0 || at >= end) return 0;
  let n = 0;
  for (let i = at + SEQ_KEY.length; i < end; i++) {
    const c = buffer[i] ?? 0;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

function opIdOf(buffer: Buffer, start: number, end: number): string | null {
  const at = buffer.indexOf(OP_ID_KEY, start);
  if (at < 0 || at >= end) return null;
  const from = at + OP_ID_KEY.length;
  const to = buffer.indexOf(QUOTE, from);
  return to < 0 || to > end ? null : buffer.toString('latin1', from, to);
}

const send = (reply: FleetReply) => process.send?.(reply);

const counts: ViewerCounts = { joined: 0, ops: 0, presence: 0, audience: 0, other: 0, closes: 0, failed: 0 };
const sockets: RawWebSocket[] = [];
let firstError: string | null = null;
let measuring = false;
let seqBefore = Number.POSITIVE_INFINITY;
const latency = new LatencyHistogram();
/** When each op was sent (editor's clock, ms), by opId, as the coordinator tells it. */
const sentAtByOpId = new Map<string, number>();
/** Per seq: its send time once known, else its opId and the receipt times waiting for it. */
const bySeq = new Map<number, number | { opId: string; receivedAt: number[] }>();
const waitingSeqByOpId = new Map<string, number>();
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

function onOp(buffer: Buffer, start: number, end: number): void {
  const seq = seqOf(buffer, start, end);
  if (seq <= seqBefore) return;
  counts.ops++;
  const receivedAt = nowMs();
  const known = bySeq.get(seq);
  if (typeof known === 'number') latency.record((receivedAt - known) * 1000);
  else if (known) known.receivedAt.push(receivedAt);
  else {
    const opId = opIdOf(buffer, start, end);
    if (opId === null) return;
    const sentAt = sentAtByOpId.get(opId);
    if (sentAt !== undefined) {
      bySeq.set(seq, sentAt);
      latency.record((receivedAt - sentAt) * 1000);
    } else {
      bySeq.set(seq, { opId, receivedAt: [receivedAt] });
      waitingSeqByOpId.set(opId, seq);
    }
  }
}

function onSent(opId: string, atMs: number): void {
  sentAtByOpId.set(opId, atMs);
  const seq = waitingSeqByOpId.get(opId);
  if (seq === undefined) return;
  waitingSeqByOpId.delete(opId);
  const waiting = bySeq.get(seq);
  bySeq.set(seq, atMs);
  if (typeof waiting === 'object') for (const at of waiting.receivedAt) latency.record((at - atMs) * 1000);
}

function openViewer(spec: Extract<FleetCommand, { type: 'open' }>, i: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let joined = false;
    const fail = (message: string) => {
      if (joined) return;
      joined = true; // settle once
      counts.failed++;
      firstError ??= message;
      resolve();
    };
    const socket: RawWebSocket = new RawWebSocket(
      {
        host: spec.host,
        port: spec.ports[i % spec.ports.length] as number,
        path: spec.path,
        // Spread over loopback addresses: 10,000 sockets from one address would exhaust its ports.
        localAddress: `127.0.${1 + (i >> 12)}.${1 + (i % 250)}`,
        origin: spec.origin,
      },
      {
        open() {
          socket.send(
            JSON.stringify({
              type: 'hello',
              v: spec.protocolVersion,
              clientId: `viewer-${i}`,
              name: `Viewer ${i}`,
              color: '#0076d3',
            }),
          );
          socket.send(JSON.stringify({ type: 'join', mapId: spec.mapId }));
        },
        text(buffer, start, end) {
          if (startsWith(buffer, start, end, OP_PREFIX)) onOp(buffer, start, end);
          else if (
            startsWith(buffer, start, end, PRESENCE_BATCH_PREFIX) ||
            startsWith(buffer, start, end, PRESENCE_PREFIX)
          ) {
            if (measuring) counts.presence++;
          } else if (startsWith(buffer, start, end, AUDIENCE_PREFIX)) {
            if (measuring) counts.audience++;
          } else if (
            !joined &&
            (startsWith(buffer, start, end, SNAPSHOT_END_PREFIX) ||
              startsWith(buffer, start, end, SNAPSHOT_ONE_PREFIX))
          ) {
            joined = true;
            counts.joined++;
            resolve();
          } else if (measuring) counts.other++;
        },
        close(code) {
          counts.closes++;
          fail(`viewer ${i} closed (${code}) before joining`);
        },
        error(error) {
          fail(`viewer ${i}: ${error.message}`);
        },
      },
    );
    sockets.push(socket);
  });
}

async function openAll(spec: Extract<FleetCommand, { type: 'open' }>): Promise<void> {
  // Waves of `concurrency`: a crowd arriving, bounded so this process keeps up with the handshakes.
  for (let k = 0; k < spec.indices.length; k += spec.concurrency) {
    const wave = spec.indices.slice(k, k + spec.concurrency);
    await Promise.all(wave.map((i) => openViewer(spec, i)));
  }
  send({ type: 'opened', counts: { ...counts }, firstError });
}

process.on('message', (command: FleetCommand) => {
  switch (command.type) {
    case 'open':
      void openAll(command);
      break;
    case 'measure':
      seqBefore = command.seqBefore;
      measuring = true;
      counts.presence = counts.audience = counts.other = 0;
      loopDelay.reset();
      loopDelay.enable();
      send({ type: 'measuring' });
      break;
    case 'sent':
      onSent(command.opId, command.atMs);
      break;
    case 'report':
      measuring = false;
      loopDelay.disable();
      send({
        type: 'report',
        counts: { ...counts },
        latency: latency.snapshot(),
        loopDelayP99Ms: loopDelay.count > 0 ? loopDelay.percentile(99) / 1e6 : 0,
        loopDelayMaxMs: loopDelay.count > 0 ? loopDelay.max / 1e6 : 0,
        firstError,
      });
      break;
    case 'stop':
      for (const socket of sockets) socket.terminate();
      process.exit(0);
  }
});

setInterval(() => send({ type: 'progress', counts: { ...counts } }), PROGRESS_EVERY_MS).unref();
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
