/**
 * Audience run (issue #16): one map with many viewers across the nodes, a few editors moving
 * features and their cursors. What a crowd costs: the time for all viewers to join, what each
 * viewer is sent per second, whether every op reached every viewer (ratio 1.0), op latency from
 * the editor's call (`moveFeature`, so the client's own queue included) to a viewer's receipt,
 * and the nodes' memory per viewer.
 *
 * Viewers are raw sockets in viewer processes of their own (fleet.ts, viewers.ts), holding an edit
 * link and doing nothing, which is what a viewer is to the server (an idle editor counts in the
 * audience as a view-only one does). Editors are real MeridianClients in this process. What the
 * generator itself used (CPU, event-loop delay) is reported beside the figures, so a starved
 * generator shows.
 */
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { PROTOCOL_VERSION } from '@meridian/protocol';
import { MeridianClient, type WebSocketConstructor } from '@meridian/protocol/client';
import WebSocket from 'ws';
import { LatencyHistogram } from '../load/histogram.ts';
import { cpuSeconds, rssBytes } from '../load/proc.ts';
import type { Deployment } from '../systems/catalog.ts';
import { FEATURE_ID } from '../systems/meridian.ts';
import { ensureOpenFiles, ViewerFleet } from './fleet.ts';
import { inspectorUrl, type NodeInspector, type NodeMemory, openNodeInspector } from './node-inspector.ts';

export interface AudienceOptions {
  viewers: number;
  editors: number;
  opsPerEditorPerS: number;
  cursorHz: number;
  durationMs: number;
  /** Viewers connecting at once, over all viewer processes (a crowd arriving, in waves). */
  joinConcurrency: number;
  /** Viewer processes (0: one per 2,500 viewers, at most 4). */
  viewerProcesses: number;
  /** CPUs the viewer processes are pinned to (taskset list), or null. */
  viewerCpus: string | null;
  /** When set, each node's heap snapshot before and after the join is written there. */
  heapSnapshotDir?: string;
  log?: (line: string) => void;
}

export const DEFAULT_AUDIENCE: AudienceOptions = {
  viewers: 1_000,
  editors: 5,
  opsPerEditorPerS: 10,
  cursorHz: 20,
  durationMs: 20_000,
  joinConcurrency: 200,
  viewerProcesses: 0,
  viewerCpus: null,
};

export interface AudienceReport {
  viewers: number;
  nodes: number;
  editors: number;
  opsOfferedPerEditorPerS: number;
  viewerProcesses: number;
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
  /** Per op, from the editor's call to its frame leaving the editor (the client's own queue). */
  clientQueueP99Ms: number;
  /** Per op, from its frame leaving the editor to the editor's ack (the commit round trip). */
  commitP99Ms: number;
  /** Whether the nodes were garbage-collected (through their inspectors) before each memory reading. */
  gcBeforeMemory: boolean;
  /** The nodes' RSS growth from before the viewers joined to after (idle), per viewer. */
  rssPerViewerBytes: number;
  /** Of which V8's heap (our objects) and the rest (uWS' native per-socket state, buffers, allocator). */
  heapPerViewerBytes: number;
  nodesRssBefore: number;
  nodesRssAfter: number;
  nodesMemoryBefore: NodeMemory[];
  nodesMemoryAfter: NodeMemory[];
  /** The lowest open-files limit among the nodes. */
  nodeOpenFilesLimit: number;
  /** What an editor was told last about how many watch. */
  watchingSeenByEditor: number;
  viewerCloses: number;
  /** CPU used over the editing window, in cores (1.0 = one core busy throughout). */
  cpuCores: { nodes: number; viewerProcesses: number; editorsProcess: number };
  /** The viewer processes' worst event-loop delay over the editing window. */
  viewerLoopDelayP99Ms: number;
  viewerLoopDelayMaxMs: number;
  loadAverage: { before: number[]; after: number[] };
}

const FEATURES_PER_EDITOR = 4;
/** How long the editors' last ops may take to commit after the window before the run fails. */
const COMMIT_WAIT_MS = 10 * 60_000;
/** Files a node needs beyond its sockets. */
const NODE_SPARE_FILES = 512;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowMs = () => performance.timeOrigin + performance.now();
const OP_ID = /"opId":"([^"]+)"/;

async function waitUntil(done: () => boolean, timeoutMs: number, stepMs = 50): Promise<void> {
  const by = performance.now() + timeoutMs;
  while (!done() && performance.now() < by) await sleep(stepMs);
}

/**
 * The map's last committed seq once every editor has caught up with it: from the op log (an
 * editor's own seq may not have moved yet when its last ack arrives), else the editors' highest.
 */
async function headSeq(deployment: Deployment, editors: MeridianClient[]): Promise<number> {
  const log = await deployment.opLog?.();
  if (log && !log.gapFree) throw new Error('the op log has a gap');
  const head = log?.ops ?? Math.max(...editors.map((editor) => editor.seq));
  await waitUntil(() => editors.every((editor) => editor.seq >= head), 30_000);
  return head;
}

/** Every node's RSS (and V8 figures), each after two full GCs when its inspector is open. */
async function nodesMemory(
  deployment: Deployment,
  inspectors: (NodeInspector | null)[],
  snapshot?: string,
): Promise<{ rss: number; memory: NodeMemory[] }> {
  const memory: NodeMemory[] = [];
  let rss = 0;
  for (const [k, node] of deployment.nodes.entries()) {
    const inspector = inspectors[k];
    if (inspector) {
      await inspector.collectGarbage();
      memory.push(await inspector.memoryUsage());
      if (snapshot) await inspector.heapSnapshot(`${snapshot}-n${k}.heapsnapshot`);
    }
    rss += rssBytes(node.pid);
  }
  return { rss, memory };
}

export async function runAudience(deployment: Deployment, options: AudienceOptions): Promise<AudienceReport> {
  const log = options.log ?? (() => {});
  const loadBefore = loadavg();
  const targetFor = await deployment.room('audience');
  const target = (i: number) => {
    const t = targetFor(i);
    if (t.kind !== 'meridian') throw new Error('the audience run is Meridian’s');
    return t;
  };
  const nodes = deployment.nodes.length;
  const perNode = Math.ceil(options.viewers / nodes) + options.editors;
  const nodeOpenFilesLimit = Math.min(
    ...deployment.nodes.map((node) => ensureOpenFiles(node.pid, perNode + NODE_SPARE_FILES, node.name)),
  );
  const processes = options.viewerProcesses || Math.min(4, Math.ceil(options.viewers / 2_500));

  const urls = deployment.nodes.map(inspectorUrl);
  const inspectors = await Promise.all(urls.map((url) => (url ? openNodeInspector(url) : null)));
  const gcBeforeMemory = inspectors.every((inspector) => inspector !== null);
  if (options.heapSnapshotDir) mkdirSync(options.heapSnapshotDir, { recursive: true });
  const snapshotAt = (label: string) =>
    options.heapSnapshotDir ? `${options.heapSnapshotDir}/${options.viewers}-${label}` : undefined;
  const before = await nodesMemory(deployment, inspectors, snapshotAt('before'));

  const fleet = await ViewerFleet.start(processes, options.viewerCpus);
  const editors: MeridianClient[] = [];
  try {
    const t0 = target(0);
    const ports = Array.from({ length: nodes }, (_, k) => Number(new URL(target(k).url).port));
    const joinStartedAt = performance.now();
    const progress = setInterval(() => {
      const c = fleet.counts();
      log(`  ${c.joined} joined${c.failed ? `, ${c.failed} failed` : ''}`);
    }, 5_000);
    const opened = await fleet
      .open(
        options.viewers,
        {
          host: new URL(t0.url).hostname,
          ports,
          path: `${new URL(t0.url).pathname}?token=${encodeURIComponent(t0.token)}`,
          origin: t0.origin,
          mapId: t0.mapId,
          protocolVersion: PROTOCOL_VERSION,
        },
        options.joinConcurrency,
      )
      .finally(() => clearInterval(progress));
    const joinAllMs = performance.now() - joinStartedAt;
    if (opened.counts.joined !== options.viewers)
      throw new Error(
        `${opened.counts.joined} of ${options.viewers} viewers joined; first failure: ${opened.firstError}`,
      );
    log(
      `${options.viewers} viewers joined over ${nodes} nodes in ${(joinAllMs / 1000).toFixed(1)} s (${processes} viewer processes)`,
    );
    // Let the nodes settle (audience counts flushed, join garbage collected) before the reading.
    await sleep(2_000);
    const after = await nodesMemory(deployment, inspectors, snapshotAt('after'));
    for (const inspector of inspectors) inspector?.close();

    // Editors: real clients, one per node in turn; each moves features of its own and its cursor.
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
    // Round robin over features of its own: a client keeps one op per feature in flight (so a
    // refusal cannot reorder them), so one shared feature would cap an editor at one op per commit.
    const featuresOf = editors.map((editor, e) =>
      Array.from({ length: FEATURES_PER_EDITOR }, (_, k) =>
        editor.createFeature({ type: 'Point', coordinates: [4.8 + e / 10, 45.7 + k / 100] }),
      ),
    );
    await waitUntil(() => editors.every((editor) => editor.pendingCount === 0), COMMIT_WAIT_MS);
    const seqBefore = await headSeq(deployment, editors);
    await fleet.measure(seqBefore);

    // Per op: the call, its frame leaving the editor, the editor's ack.
    const calledAt = new Map<string, number>();
    const wiredAt = new Map<string, number>();
    const clientQueue = new LatencyHistogram();
    const commit = new LatencyHistogram();
    for (const editor of editors) {
      editor.on('frame', (frame) => {
        if (frame.direction !== 'out' || frame.type !== 'op' || typeof frame.data !== 'string') return;
        const opId = OP_ID.exec(frame.data)?.[1];
        const called = opId ? calledAt.get(opId) : undefined;
        if (!opId || called === undefined || wiredAt.has(opId)) return;
        const at = nowMs();
        wiredAt.set(opId, at);
        clientQueue.record((at - called) * 1000);
      });
      editor.on('ack', (opId) => {
        const wired = wiredAt.get(opId);
        if (wired !== undefined) commit.record((nowMs() - wired) * 1000);
      });
    }

    const cpuAt = () => ({
      nodes: deployment.nodes.reduce((sum, node) => sum + cpuSeconds(node.pid), 0),
      viewers: fleet.cpuSeconds(),
      editors: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
    });
    const cpuBefore = cpuAt();
    const measureStartedAt = performance.now();
    const timers: ReturnType<typeof setInterval>[] = [];
    editors.forEach((editor, e) => {
      let step = 0;
      timers.push(
        setInterval(() => {
          const angle = (step / 50) * Math.PI;
          const featureId = featuresOf[e]?.[step++ % FEATURES_PER_EDITOR] ?? FEATURE_ID;
          const at = nowMs();
          const opId = editor.moveFeature(featureId, {
            type: 'Point',
            coordinates: [4.8 + e / 10 + Math.cos(angle) / 100, 45.7 + Math.sin(angle) / 100],
          });
          calledAt.set(opId, at);
          fleet.sent(opId, at);
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
    await sleep(options.durationMs);
    for (const timer of timers) clearInterval(timer);
    // Every op the editors sent is committed (however long the map's commits take on a busy
    // machine: the window's ops are counted up to the head, so all must be in), then delivered
    // (or not) to every viewer.
    const pending = () => editors.reduce((sum, editor) => sum + editor.pendingCount, 0);
    const committing = setInterval(() => log(`  ${pending()} ops still to commit`), 10_000);
    await waitUntil(() => pending() === 0, COMMIT_WAIT_MS).finally(() => clearInterval(committing));
    if (pending() > 0)
      throw new Error(`${pending()} ops not committed ${COMMIT_WAIT_MS / 1000} s after the window`);
    const seqAfter = await headSeq(deployment, editors);
    log(`ops ${seqBefore + 1}..${seqAfter} committed; waiting for the viewers to have them`);
    const opsCommitted = seqAfter - seqBefore;
    const expected = opsCommitted * options.viewers;
    await waitUntil(() => fleet.counts().ops >= expected, 30_000, 100);
    const report = await fleet.report();
    const measuredS = (performance.now() - measureStartedAt) / 1000;
    const cpuAfter = cpuAt();
    // Counts travel at most once per AUDIENCE_FLUSH_MS per node: give the last one time to land.
    await waitUntil(() => editors[0]?.watching === options.viewers, 5_000);
    const watchingSeenByEditor = editors[0]?.watching ?? 0;

    const c = report.counts;
    const perViewerPerS = (n: number) => n / options.viewers / measuredS;
    const sumOf = (memory: NodeMemory[], key: keyof NodeMemory) => memory.reduce((s, m) => s + m[key], 0);
    const cores = (key: 'nodes' | 'viewers' | 'editors') => (cpuAfter[key] - cpuBefore[key]) / measuredS;
    return {
      viewers: options.viewers,
      nodes,
      editors: options.editors,
      opsOfferedPerEditorPerS: options.opsPerEditorPerS,
      viewerProcesses: processes,
      joinAllMs,
      messagesPerViewerPerS: perViewerPerS(c.ops + c.presence + c.audience + c.other),
      opsPerViewerPerS: perViewerPerS(c.ops),
      presencePerViewerPerS: perViewerPerS(c.presence),
      audiencePerViewerPerS: perViewerPerS(c.audience),
      opsCommitted,
      deliveryRatio: expected === 0 ? 0 : c.ops / expected,
      opLatencyP50Ms: report.latency.quantileUs(0.5) / 1000,
      opLatencyP99Ms: report.latency.quantileUs(0.99) / 1000,
      clientQueueP99Ms: clientQueue.quantileUs(0.99) / 1000,
      commitP99Ms: commit.quantileUs(0.99) / 1000,
      gcBeforeMemory,
      rssPerViewerBytes: (after.rss - before.rss) / options.viewers,
      heapPerViewerBytes: gcBeforeMemory
        ? (sumOf(after.memory, 'heapUsed') - sumOf(before.memory, 'heapUsed')) / options.viewers
        : Number.NaN,
      nodesRssBefore: before.rss,
      nodesRssAfter: after.rss,
      nodesMemoryBefore: before.memory,
      nodesMemoryAfter: after.memory,
      nodeOpenFilesLimit,
      watchingSeenByEditor,
      viewerCloses: c.closes,
      cpuCores: {
        nodes: cores('nodes'),
        viewerProcesses: cores('viewers'),
        editorsProcess: cores('editors'),
      },
      viewerLoopDelayP99Ms: report.loopDelayP99Ms,
      viewerLoopDelayMaxMs: report.loopDelayMaxMs,
      loadAverage: { before: loadBefore, after: loadavg() },
    };
  } finally {
    for (const editor of editors) editor.close();
    for (const inspector of inspectors) inspector?.close();
    await fleet.stop();
  }
}
