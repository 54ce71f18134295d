/**
 * Audience run (issue #16): one map with many viewers across the nodes, a few editors moving a
 * feature and their cursors. What a crowd costs: the time for all viewers to join, what each
 * viewer is sent per second, whether every op reached every viewer (ratio 1.0), op latency from
 * the editor's call (`moveFeature`, so the client's own queue included) to a viewer's receipt,
 * and the nodes' RSS per viewer.
 *
 * Viewers are raw sockets (load/raw-websocket.ts: counting a frame allocates nothing) holding an
 * edit link and doing nothing, which is what a viewer is to the server (an idle editor counts
 * in the audience as a view-only one does). Editors are real MeridianClients.
 */
import { performance } from 'node:perf_hooks';
import { PROTOCOL_VERSION } from '@meridian/protocol';
import { MeridianClient, type WebSocketConstructor } from '@meridian/protocol/client';
import WebSocket from 'ws';
import { LatencyHistogram } from '../load/histogram.ts';
import { rssBytes } from '../load/proc.ts';
import { RawWebSocket } from '../load/raw-websocket.ts';
import type { Deployment } from '../systems/catalog.ts';
import { FEATURE_ID } from '../systems/meridian.ts';

export interface AudienceOptions {
  viewers: number;
  editors: number;
  opsPerEditorPerS: number;
  cursorHz: number;
  durationMs: number;
  /** Viewers connecting at once (a crowd arriving, bounded so the load generator keeps up). */
  joinConcurrency: number;
  log?: (line: string) => void;
}

export const DEFAULT_AUDIENCE: AudienceOptions = {
  viewers: 1_000,
  editors: 5,
  opsPerEditorPerS: 10,
  cursorHz: 20,
  durationMs: 20_000,
  joinConcurrency: 200,
};

export interface AudienceReport {
  viewers: number;
  nodes: number;
  editors: number;
  opsOfferedPerEditorPerS: number;
  joinAllMs: number;
  /** Every frame a viewer received while the editors worked, per viewer per second. */
  messagesPerViewerPerS: number;
  opsPerViewerPerS: number;
  presencePerViewerPerS: number;
  audiencePerViewerPerS: number;
  opsCommitted: number;
  /** Op deliveries to viewers over (ops committed × viewers): must be 1. */
  deliveryRatio: number;
  opLatencyP50Ms: number;
  opLatencyP99Ms: number;
  /** The nodes' RSS growth from before the viewers joined to after, per viewer. */
  rssPerViewerBytes: number;
  /** What an editor was told last about how many watch. */
  watchingSeenByEditor: number;
  viewerCloses: number;
}

interface ViewerState {
  socket: RawWebSocket;
  joined: boolean;
  ops: number;
  presence: number;
  audience: number;
  other: number;
}

const OP_PREFIX = Buffer.from('{"type":"op"');
const PRESENCE_PREFIX = Buffer.from('{"type":"presence"');
const AUDIENCE_PREFIX = Buffer.from('{"type":"audience"');
const SNAPSHOT_PREFIX = Buffer.from('{"type":"snapshot"');
const OP_ID = /"opId":"([^"]+)"/;
const SEQ = /"seq":(\d+)/;
const FEATURES_PER_EDITOR = 4;

const startsWith = (buffer: Buffer, start: number, end: number, prefix: Buffer) =>
  end - start >= prefix.length &&
  buffer.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0;

export async function runAudience(deployment: Deployment, options: AudienceOptions): Promise<AudienceReport> {
  const log = options.log ?? (() => {});
  const targetFor = await deployment.room('audience');
  const target = (i: number) => {
    const t = targetFor(i);
    if (t.kind !== 'meridian') throw new Error('the audience run is Meridian’s');
    return t;
  };
  const nodes = deployment.nodes.length;
  const sentAt = new Map<string, number>();
  const latency = new LatencyHistogram();
  let measuring = false;
  /** Ops up to this seq are set-up: not counted. */
  let seqBefore = Number.POSITIVE_INFINITY;
  let viewerCloses = 0;

  const rssBefore = deployment.nodes.reduce((sum, node) => sum + rssBytes(node.pid), 0);

  // Viewers join in waves of joinConcurrency; each counts what it is sent.
  const viewers: ViewerState[] = [];
  const joinStartedAt = performance.now();
  let joinedCount = 0;
  let allJoined: () => void = () => {};
  const everyoneJoined = new Promise<void>((resolve) => {
    allJoined = resolve;
  });
  const openViewer = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const t = target(i);
      const url = new URL(t.url);
      const state = { joined: false, ops: 0, presence: 0, audience: 0, other: 0 } as ViewerState;
      state.socket = new RawWebSocket(
        {
          host: url.hostname,
          port: Number(url.port),
          path: `${url.pathname}?token=${encodeURIComponent(t.token)}`,
          // Spread over loopback addresses: 10,000 sockets from one address would exhaust its ports.
          localAddress: `127.0.${1 + (i >> 12)}.${1 + (i % 250)}`,
          origin: t.origin,
        },
        {
          open() {
            state.socket.send(
              JSON.stringify({
                type: 'hello',
                v: PROTOCOL_VERSION,
                clientId: `viewer-${i}`,
                name: `Viewer ${i}`,
                color: '#0076d3',
              }),
            );
            state.socket.send(JSON.stringify({ type: 'join', mapId: t.mapId }));
          },
          text(buffer, start, end) {
            if (startsWith(buffer, start, end, OP_PREFIX)) {
              // Only the ops of the measured window (set-up ops may still be arriving).
              const head = buffer.toString('latin1', start, Math.min(end, start + 240));
              if (Number(SEQ.exec(head)?.[1] ?? 0) <= seqBefore) return;
              state.ops++;
              const match = OP_ID.exec(head);
              const at = match ? sentAt.get(match[1] as string) : undefined;
              if (at !== undefined) latency.record((performance.now() - at) * 1000);
            } else if (startsWith(buffer, start, end, PRESENCE_PREFIX)) {
              if (measuring) state.presence++;
            } else if (startsWith(buffer, start, end, AUDIENCE_PREFIX)) {
              if (measuring) state.audience++;
            } else if (startsWith(buffer, start, end, SNAPSHOT_PREFIX)) {
              state.joined = true;
              joinedCount++;
              if (joinedCount === options.viewers) allJoined();
              resolve();
            } else if (measuring) state.other++;
          },
          close() {
            viewerCloses++;
            if (!state.joined) reject(new Error(`viewer ${i} closed before joining`));
          },
          error(error) {
            reject(error);
          },
        },
      );
      viewers.push(state);
    });
  for (let i = 0; i < options.viewers; i += options.joinConcurrency) {
    const wave = Array.from({ length: Math.min(options.joinConcurrency, options.viewers - i) }, (_, k) =>
      openViewer(i + k),
    );
    await Promise.all(wave);
  }
  await everyoneJoined;
  const joinAllMs = performance.now() - joinStartedAt;
  log(`${options.viewers} viewers joined over ${nodes} nodes in ${(joinAllMs / 1000).toFixed(1)} s`);
  // Let the nodes settle (audience counts flushed) before measuring their memory.
  await new Promise((r) => setTimeout(r, 1500));
  const rssAfter = deployment.nodes.reduce((sum, node) => sum + rssBytes(node.pid), 0);

  // Editors: real clients, one per node in turn; each moves the feature and its cursor.
  const editors: MeridianClient[] = [];
  for (let e = 0; e < options.editors; e++) {
    const t = target(e);
    const editor = new MeridianClient({
      url: t.url,
      token: t.token,
      mapId: t.mapId,
      personId: `editor-${e}`,
      user: { name: `Editor ${e}`, color: '#c43f3e' },
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      pingIntervalMs: 0,
      presenceThrottleMs: Math.floor(1000 / options.cursorHz),
    });
    editor.connect();
    editors.push(editor);
  }
  log(`${options.editors} editors joining`);
  await Promise.all(
    editors.map(
      (editor) =>
        new Promise<void>((resolve) => {
          const check = () => editor.joined && editor.features.has(FEATURE_ID) && resolve();
          editor.on('status', check);
          editor.on('featuresChanged', check);
          check();
        }),
    ),
  );
  // Each editor moves features of its own, round robin: a client keeps one op per feature in
  // flight (so a refusal cannot reorder them), so one shared feature would cap every editor at
  // one op per commit round trip.
  const featuresOf = editors.map((editor, e) =>
    Array.from({ length: FEATURES_PER_EDITOR }, (_, k) =>
      editor.createFeature({ type: 'Point', coordinates: [4.8 + e / 10, 45.7 + k / 100] }),
    ),
  );
  const createdBy = performance.now() + 60_000;
  while (editors.some((editor) => editor.pendingCount > 0) && performance.now() < createdBy)
    await new Promise((r) => setTimeout(r, 50));
  seqBefore = Math.max(...editors.map((editor) => editor.seq));
  measuring = true;
  const measureStartedAt = performance.now();
  const timers: ReturnType<typeof setInterval>[] = [];
  editors.forEach((editor, e) => {
    let step = 0;
    timers.push(
      setInterval(() => {
        const angle = (step / 50) * Math.PI;
        const featureId = featuresOf[e]?.[step++ % FEATURES_PER_EDITOR] ?? FEATURE_ID;
        const opId = editor.moveFeature(featureId, {
          type: 'Point',
          coordinates: [4.8 + e / 10 + Math.cos(angle) / 100, 45.7 + Math.sin(angle) / 100],
        });
        sentAt.set(opId, performance.now());
      }, 1000 / options.opsPerEditorPerS),
    );
    let tick = 0;
    timers.push(
      setInterval(() => {
        tick++;
        editor.setCursor([4.8 + e / 10 + (tick % 100) / 1000, 45.7]);
      }, 1000 / options.cursorHz),
    );
  });
  log(`editors joined; editing for ${options.durationMs / 1000} s`);
  await new Promise((r) => setTimeout(r, options.durationMs));
  for (const timer of timers) clearInterval(timer);
  // Every op the editors sent is committed, and then delivered (or not) to every viewer.
  const settleBy = performance.now() + 60_000;
  while (editors.some((editor) => editor.pendingCount > 0) && performance.now() < settleBy)
    await new Promise((r) => setTimeout(r, 50));
  const seqAfter = Math.max(...editors.map((editor) => editor.seq));
  log(`ops ${seqBefore + 1}..${seqAfter} committed; waiting for the viewers to have them`);
  const opsCommitted = seqAfter - seqBefore;
  const expected = opsCommitted * options.viewers;
  const deadline = performance.now() + 30_000;
  const delivered = () => viewers.reduce((sum, viewer) => sum + viewer.ops, 0);
  while (delivered() < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const measuredS = (performance.now() - measureStartedAt) / 1000;
  measuring = false;
  // Counts travel at most once per AUDIENCE_FLUSH_MS per node: give the last one time to land.
  const countBy = performance.now() + 5_000;
  while (editors[0]?.watching !== options.viewers && performance.now() < countBy)
    await new Promise((r) => setTimeout(r, 50));
  const watchingSeenByEditor = editors[0]?.watching ?? 0;
  for (const editor of editors) editor.close();
  for (const viewer of viewers) viewer.socket.terminate();

  const total = (key: 'ops' | 'presence' | 'audience' | 'other') =>
    viewers.reduce((sum, viewer) => sum + viewer[key], 0);
  const perViewerPerS = (n: number) => n / options.viewers / measuredS;
  return {
    viewers: options.viewers,
    nodes,
    editors: options.editors,
    opsOfferedPerEditorPerS: options.opsPerEditorPerS,
    joinAllMs,
    messagesPerViewerPerS: perViewerPerS(
      total('ops') + total('presence') + total('audience') + total('other'),
    ),
    opsPerViewerPerS: perViewerPerS(total('ops')),
    presencePerViewerPerS: perViewerPerS(total('presence')),
    audiencePerViewerPerS: perViewerPerS(total('audience')),
    opsCommitted,
    deliveryRatio: expected === 0 ? 0 : delivered() / expected,
    opLatencyP50Ms: latency.quantileUs(0.5) / 1000,
    opLatencyP99Ms: latency.quantileUs(0.99) / 1000,
    rssPerViewerBytes: Math.max(0, rssAfter - rssBefore) / options.viewers,
    watchingSeenByEditor,
    viewerCloses,
  };
}
