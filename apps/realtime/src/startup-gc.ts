import { Session } from 'node:inspector/promises';

/**
 * One memory-reducing garbage collection, once, after start-up and before the node takes traffic.
 * Start-up (module evaluation, migrations, Prisma decoding and compiling its Wasm query compiler)
 * leaves tens of MiB of garbage and a young generation grown for it, which V8 keeps for as long as
 * the node stays quiet: an idle node's RSS is then ~1/3 lower (BENCHMARKS.md, "Lean nodes").
 * `HeapProfiler.collectGarbage` (through an in-process inspector session: no port is opened) is
 * the collection that also gives the emptied pages back, which a plain full GC does not.
 */
export async function collectStartupGarbage(): Promise<void> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.collectGarbage');
  } finally {
    session.disconnect();
  }
}
