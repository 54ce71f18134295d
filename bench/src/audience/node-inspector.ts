/**
 * A node's own inspector, for the audience run's memory figures: the bench starts the nodes with
 * `NODE_OPTIONS=--inspect=127.0.0.1:0` (bench-only: each picks a free port and prints its URL on
 * stderr), and reads from it a full, memory-reducing GC before each RSS reading, the node's
 * `process.memoryUsage()` (JS heap vs. the rest), and on request a heap snapshot for a diff.
 */
import { createWriteStream } from 'node:fs';
import WebSocket from 'ws';
import type { ManagedProcess } from '../systems/spawn.ts';

export const INSPECT_NODE_OPTIONS = '--inspect=127.0.0.1:0';
const LISTENING = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+)/;

export interface NodeMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface NodeInspector {
  /** Two full GCs (the first may only free what keeps the second's garbage alive). */
  collectGarbage(): Promise<void>;
  memoryUsage(): Promise<NodeMemory>;
  /** Writes a .heapsnapshot (open two in Chrome DevTools' Memory tab and compare). */
  heapSnapshot(file: string): Promise<void>;
  close(): void;
}

/** The inspector URL a node printed at start, or null (started without the option). */
export function inspectorUrl(node: ManagedProcess): string | null {
  return LISTENING.exec(node.stderrTail())?.[1] ?? null;
}

export async function openNodeInspector(url: string): Promise<NodeInspector> {
  const socket = new WebSocket(url, { maxPayload: 1 << 30 });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  let onEvent: ((method: string, params: unknown) => void) | null = null;
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as {
      id?: number;
      result?: unknown;
      method?: string;
      params?: unknown;
    };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
    else if (message.method) onEvent?.(message.method, message.params);
  });
  const call = (method: string, params?: unknown) =>
    new Promise<unknown>((resolve) => {
      const id = ++nextId;
      waiting.set(id, (result) => {
        waiting.delete(id);
        resolve(result);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    async collectGarbage() {
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
    },
    async memoryUsage() {
      const result = (await call('Runtime.evaluate', {
        expression: 'JSON.stringify(process.memoryUsage())',
        returnByValue: true,
      })) as { result: { value: string } };
      return JSON.parse(result.result.value) as NodeMemory;
    },
    async heapSnapshot(file) {
      const out = createWriteStream(file);
      onEvent = (method, params) => {
        if (method === 'HeapProfiler.addHeapSnapshotChunk') out.write((params as { chunk: string }).chunk);
      };
      await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      onEvent = null;
      await new Promise<void>((resolve) => out.end(resolve));
    },
    close: () => socket.close(),
  };
}
