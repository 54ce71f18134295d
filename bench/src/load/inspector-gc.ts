/**
 * A full garbage collection in another Node process, through its inspector: SIGUSR1 opens the
 * inspector (Node's default 127.0.0.1:9229) without restarting or changing the process, and
 * `HeapProfiler.collectGarbage` runs a full mark-compact. Used before idle-connection RSS readings,
 * so a node's uncollected start-up garbage is not counted against (or for) its connections.
 */
import WebSocket from 'ws';

const INSPECTOR = 'http://127.0.0.1:9229';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface InspectorSession {
  collectGarbage(): Promise<void>;
  close(): void;
}

async function debuggerUrl(pid: number): Promise<string> {
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const res = await fetch(`${INSPECTOR}/json/list`);
      const targets = (await res.json()) as { webSocketDebuggerUrl: string; description?: string }[];
      const target = targets[0];
      if (target) return target.webSocketDebuggerUrl;
    } catch (error) {
      lastError = error;
    }
    await sleep(100);
  }
  throw new Error(`process ${pid}: no inspector on ${INSPECTOR} (${String(lastError)})`);
}

/** Opens the inspector of `pid` (one process at a time: the port is fixed). */
export async function openInspector(pid: number): Promise<InspectorSession> {
  process.kill(pid, 'SIGUSR1');
  const socket = new WebSocket(await debuggerUrl(pid));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 0;
  const waiting = new Map<number, () => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number };
    if (message.id !== undefined) waiting.get(message.id)?.();
  });
  const call = (method: string) =>
    new Promise<void>((resolve) => {
      const id = ++nextId;
      waiting.set(id, () => {
        waiting.delete(id);
        resolve();
      });
      socket.send(JSON.stringify({ id, method }));
    });
  return {
    async collectGarbage() {
      // Twice: the first pass may only free what keeps the second's garbage alive (weak maps, finalizers).
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
    },
    close: () => socket.close(),
  };
}
