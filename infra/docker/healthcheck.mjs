// Container health probe: exit 0 when `GET <path>` on this container's own port answers 2xx.
// Slim images have no curl or wget, so the probe is a few lines of Node (global fetch, Node >= 18).
// Usage: node healthcheck.mjs [path]   (path defaults to /readyz; the port comes from $PORT)
const PROBE_TIMEOUT_MS = 2500;

const path = process.argv[2] ?? '/readyz';
const port = process.env.PORT ?? '4000';
const url = `http://127.0.0.1:${port}${path.startsWith('/') ? path : `/${path}`}`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  process.exitCode = response.ok ? 0 : 1;
  if (!response.ok) console.error(`healthcheck: ${url} answered ${response.status}`);
} catch (error) {
  console.error(`healthcheck: ${url} unreachable: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
