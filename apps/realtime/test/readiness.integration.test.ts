import { afterEach, expect, it } from 'vitest';
import { READY_CHECK_TIMEOUT_MS } from '../src/http/health.ts';
import { startNodeBehindPostgresProxy } from './postgres-behind-proxy.ts';
import { waitFor } from './wait.ts';

// Readiness is what a balancer acts on, so it must answer while a dependency hangs: a database
// partition that accepts connections and never answers must give a prompt 503 naming the
// database, not an answer that waits out the partition.

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Readiness {
  status: number;
  body: { status: string; db: string; bus: string; draining: boolean };
}

async function readyz(httpUrl: string, signal?: AbortSignal): Promise<Readiness> {
  const res = await fetch(`${httpUrl}/readyz`, signal ? { signal } : {});
  return { status: res.status, body: (await res.json()) as Readiness['body'] };
}

it('answers 503 naming the database while Postgres stalls, and 200 again once it answers', async () => {
  const { node, proxy } = await startNodeBehindPostgresProxy(cleanups, 'meridian-ready');
  expect(await readyz(node.httpUrl)).toMatchObject({ status: 200, body: { db: 'ok', bus: 'ok' } });

  proxy.stall();
  // Several checks at once, as several balancers send them; each must come back while the
  // partition lasts (the proxy stays stalled until every answer is in).
  const stalled = await Promise.all(
    Array.from({ length: 4 }, () => readyz(node.httpUrl, AbortSignal.timeout(20 * READY_CHECK_TIMEOUT_MS))),
  );
  for (const answer of stalled) {
    expect(answer).toMatchObject({ status: 503, body: { status: 'unavailable', db: 'timeout', bus: 'ok' } });
  }
  // Later checks during the same stall answer the same way.
  expect(await readyz(node.httpUrl, AbortSignal.timeout(20 * READY_CHECK_TIMEOUT_MS))).toMatchObject({
    status: 503,
    body: { db: 'timeout' },
  });

  proxy.restore();
  await waitFor('readiness to come back', async () => (await readyz(node.httpUrl)).status === 200, {
    timeoutMs: 20_000,
    intervalMs: 100,
  });
});

it('answers 503 naming the database when Postgres refuses connections', async () => {
  const { node, proxy } = await startNodeBehindPostgresProxy(cleanups, 'meridian-ready');
  proxy.cut();
  const answer = await readyz(node.httpUrl, AbortSignal.timeout(20 * READY_CHECK_TIMEOUT_MS));
  expect(answer.status).toBe(503);
  expect(['down', 'timeout']).toContain(answer.body.db);
  expect(answer.body.bus).toBe('ok');
});
