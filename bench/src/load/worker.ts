/**
 * A load-generator process: holds its share of the clients, sends its share of the
 * offered load, and records every delivery its clients receive. Driven over IPC by
 * `WorkerPool`; it exits when the coordinator goes away.
 */
import { type BenchConnection, connectClient, type DeliverySink } from './clients.ts';
import { LatencyHistogram } from './histogram.ts';
import type { ConnectReport, Envelope, RunResult, WorkerCommand, WorkerReply } from './plan.ts';
import { nowUs } from './stamp.ts';

const SEND_TICK_MS = 5;
const CONNECT_ATTEMPTS = 3;

let connections: BenchConnection[] = [];
let senders: BenchConnection[] = [];
let histogram = new LatencyHistogram();
let delivered = 0;
let deliveredInWindow = 0;
let bytes = 0;
let repeats = 0;
let serverErrors = 0;
let unexpectedCloses = 0;
let closeCodes: Record<string, number> = {};
let windowOpen = false;
let lastSent = 0;
let lastMaxSendLagMs = 0;

const sink: DeliverySink = {
  epoch: 0,
  onDelivery(latencyUs, size) {
    histogram.record(latencyUs);
    delivered++;
    if (windowOpen) deliveredInWindow++;
    bytes += size;
  },
  onRepeat() {
    repeats++;
  },
  onServerError() {
    serverErrors++;
  },
  onUnexpectedClose(code) {
    unexpectedCloses++;
    closeCodes[code] = (closeCodes[code] ?? 0) + 1;
  },
};

async function connectAll(command: Extract<WorkerCommand, { kind: 'connect' }>): Promise<ConnectReport> {
  const started = Date.now();
  const report: ConnectReport = { opened: 0, failed: 0, retried: 0, firstError: null, elapsedMs: 0 };
  let next = 0;
  const lane = async () => {
    while (next < command.clients.length) {
      const spec = command.clients[next++];
      if (!spec) break;
      for (let attempt = 1; ; attempt++) {
        try {
          const connection = await connectClient(spec, sink);
          connections.push(connection);
          if (spec.sender) senders.push(connection);
          report.opened++;
          break;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          report.firstError ??= message;
          // A client reconnects after a dropped connection; the retries are reported, not hidden.
          if (attempt < CONNECT_ATTEMPTS) {
            report.retried++;
            continue;
          }
          report.failed++;
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, command.concurrency) }, lane));
  report.elapsedMs = Date.now() - started;
  return report;
}

/** Open-loop sender: the offered rate is kept whatever the servers do, spread round-robin over senders. */
function run(
  command: Extract<WorkerCommand, { kind: 'run' }>,
): Promise<{ sent: number; maxSendLagMs: number }> {
  sink.epoch = command.epoch;
  histogram = new LatencyHistogram();
  delivered = 0;
  deliveredInWindow = 0;
  bytes = 0;
  repeats = 0;
  serverErrors = 0;
  lastSent = 0;
  lastMaxSendLagMs = 0;
  windowOpen = true;
  return new Promise((resolve) => {
    const startUs = nowUs();
    let sent = 0;
    let turn = 0;
    let lastTickUs = startUs;
    let maxSendLagMs = 0;
    const tick = () => {
      const now = nowUs();
      maxSendLagMs = Math.max(maxSendLagMs, (now - lastTickUs) / 1e3 - SEND_TICK_MS);
      lastTickUs = now;
      const elapsedS = Math.min(command.durationMs * 1e3, now - startUs) / 1e6;
      const due = Math.floor(command.ratePerS * elapsedS) - sent;
      for (let i = 0; i < due && senders.length > 0; i++) {
        senders[turn++ % senders.length]?.send(nowUs());
        sent++;
      }
      if (now - startUs >= command.durationMs * 1e3) {
        clearInterval(timer);
        windowOpen = false;
        lastSent = sent;
        lastMaxSendLagMs = Math.max(0, maxSendLagMs);
        resolve({ sent, maxSendLagMs: lastMaxSendLagMs });
      }
    };
    const timer = setInterval(tick, SEND_TICK_MS);
  });
}

function result(): RunResult {
  return {
    sent: lastSent,
    delivered,
    deliveredInWindow,
    bytes,
    repeats,
    histogram: histogram.snapshot(),
    serverErrors,
    unexpectedCloses,
    closeCodes,
    maxSendLagMs: lastMaxSendLagMs,
  };
}

async function handle(command: WorkerCommand): Promise<WorkerReply> {
  switch (command.kind) {
    case 'connect':
      return { kind: 'connected', report: await connectAll(command) };
    case 'run': {
      const { sent, maxSendLagMs } = await run(command);
      return { kind: 'sent', sent, maxSendLagMs };
    }
    case 'progress':
      return { kind: 'progress', delivered, connected: connections.length, closed: unexpectedCloses };
    case 'collect':
      return { kind: 'result', result: result() };
    case 'disconnect':
      for (const connection of connections) connection.close();
      connections = [];
      senders = [];
      unexpectedCloses = 0;
      closeCodes = {};
      return { kind: 'disconnected' };
  }
}

process.on('message', (message: Envelope<WorkerCommand>) => {
  handle(message.body).then(
    (body) => process.send?.({ id: message.id, body } satisfies Envelope<WorkerReply>),
    (error: unknown) =>
      process.send?.({
        id: message.id,
        body: { kind: 'error', message: error instanceof Error ? error.message : String(error) },
      } satisfies Envelope<WorkerReply>),
  );
});

process.on('disconnect', () => process.exit(0));
// A clean exit on SIGTERM lets --cpu-prof write its profile.
process.on('SIGTERM', () => process.exit(0));
