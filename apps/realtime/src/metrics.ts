import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics of one server instance (a registry per instance, so tests can run several). */
export function createMetrics(options: { processMetrics: boolean; nodeId: string }) {
  const registry = new Registry();
  registry.setDefaultLabels({ node: options.nodeId });
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    connections: new Gauge({ name: 'meridian_connections', help: 'Open WebSocket connections', registers }),
    mapsOpen: new Gauge({
      name: 'meridian_maps_open',
      help: 'Maps with at least one local client',
      registers,
    }),
    messagesIn: new Counter({
      name: 'meridian_messages_in_total',
      help: 'Client messages received, by type',
      labelNames: ['type'],
      registers,
    }),
    messagesOut: new Counter({
      name: 'meridian_messages_out_total',
      help: 'Messages delivered to clients (a topic publish counts once per subscriber), by type',
      labelNames: ['type'],
      registers,
    }),
    bytesIn: new Counter({
      name: 'meridian_bytes_in_total',
      help: 'WebSocket payload bytes received',
      registers,
    }),
    bytesOut: new Counter({
      name: 'meridian_bytes_out_total',
      help: 'WebSocket payload bytes sent (topic publishes counted per subscriber)',
      registers,
    }),
    rejects: new Counter({
      name: 'meridian_rejects_total',
      help: 'Typed errors and op rejects sent, by code',
      labelNames: ['code'],
      registers,
    }),
    closes: new Counter({
      name: 'meridian_closes_total',
      help: 'Connections closed by the server, by close code',
      labelNames: ['code'],
      registers,
    }),
    opCommitSeconds: new Histogram({
      name: 'meridian_op_commit_seconds',
      help: 'Time to persist one op (validate, transaction, seq assignment)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    fanoutSeconds: new Histogram({
      name: 'meridian_fanout_seconds',
      help: 'Time from an op commit to its delivery to this node’s local sockets',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    busReconnects: new Counter({
      name: 'meridian_bus_reconnects_total',
      help: 'Times the bus connection was restored after a loss',
      registers,
    }),
    busPublishFailures: new Counter({
      name: 'meridian_bus_publish_failures_total',
      help: 'Bus publishes that failed (peers recover the ops from the op log)',
      registers,
    }),
    busInvalidDropped: new Counter({
      name: 'meridian_bus_invalid_dropped_total',
      help: 'Bus messages dropped because they were not valid (malformed bytes on a map channel)',
      registers,
    }),
    snapshotsStreamed: new Counter({
      name: 'meridian_snapshots_streamed_total',
      help: 'Joins answered with a streamed snapshot (snapshotBegin, chunks, snapshotEnd)',
      registers,
    }),
    snapshotReads: new Counter({
      name: 'meridian_snapshot_reads_total',
      help: 'Snapshot reads from storage, each shared by the joins it covers, by how they ended (read, failed, abandoned)',
      labelNames: ['end'],
      registers,
    }),
    snapshotStreams: new Gauge({
      name: 'meridian_snapshot_streams',
      help: 'Streamed snapshots being sent now (each waits for its socket to drain)',
      registers,
    }),
    gapFills: new Counter({
      name: 'meridian_gap_fills_total',
      help: 'Op ranges fetched from the op log because the bus skipped them',
      registers,
    }),
    volatileDropped: new Counter({
      name: 'meridian_volatile_dropped_total',
      help: 'Volatile messages (presence, summon) not delivered to a slow consumer',
      registers,
    }),
    slowConsumerCloses: new Counter({
      name: 'meridian_slow_consumer_closes_total',
      help: 'Connections closed with 4008 because a durable message could not be buffered',
      registers,
    }),
    feedLayersHeld: new Gauge({
      name: 'meridian_feed_layers_held',
      help: 'Live-feed layers whose feed this node follows (it holds their feed lock)',
      registers,
    }),
    feedFetches: new Counter({
      name: 'meridian_feed_fetches_total',
      help: 'Feed fetches, by result (ok, not_modified, error)',
      labelNames: ['result'],
      registers,
    }),
    websubVerifications: new Counter({
      name: 'meridian_websub_verifications_total',
      help: 'WebSub verification-of-intent requests answered, by mode and result (ok, refused)',
      labelNames: ['mode', 'result'],
      registers,
    }),
    websubDeliveries: new Counter({
      name: 'meridian_websub_deliveries_total',
      help: 'WebSub content deliveries received, by result (ok, bad_signature, bad_feed, unknown, storage)',
      labelNames: ['result'],
      registers,
    }),
    websubBadSignatures: new Counter({
      name: 'meridian_websub_bad_signatures_total',
      help: 'WebSub deliveries ignored for a missing or wrong X-Hub-Signature, by reason',
      labelNames: ['reason'],
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
