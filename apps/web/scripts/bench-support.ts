/**
 * What the browser benchmarks share: the generated features, seeding a map through the real
 * service, and the peer, plain MapLibre on a bare page reading the same features from a static
 * JSON file. Not a benchmark itself.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Feature } from '@meridian/protocol';
import { ensureProductionBuild } from '../e2e/support/build.ts';
import { type Cluster, startCluster } from '../e2e/support/cluster.ts';
import { type FixtureServer, startFixtureServer } from '../e2e/support/fixture-server.ts';
import { protocolPerson } from '../e2e/support/protocol-person.ts';
import { offlineStyle } from '../src/basemap/style.ts';

export const argument = (name: string) => Number(process.argv[process.argv.indexOf(name) + 1]);
export const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
export const ms = (value: number) => `${value.toFixed(0)} ms`;

/** Deterministic, spread over the inhabited world: 85 % points, 10 % small polygons, 5 % lines. */
export function generate(count: number): Feature[] {
  const out: Feature[] = [];
  for (let i = 0; i < count; i++) {
    const lng = -170 + ((i * 7919) % 34000) / 100;
    const lat = -55 + ((i * 104_729) % 13000) / 100;
    const properties = { title: `Place ${i}`, ref: `R-${i}`, households: i % 40 };
    const common = { type: 'Feature' as const, id: `f${i}`, version: 0, properties };
    const kind = i % 20;
    if (kind < 17) out.push({ ...common, geometry: { type: 'Point', coordinates: [lng, lat] } });
    else if (kind < 19)
      out.push({
        ...common,
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [lng, lat],
              [lng + 0.05, lat],
              [lng + 0.05, lat + 0.05],
              [lng, lat + 0.05],
              [lng, lat],
            ],
          ],
        },
      });
    else
      out.push({
        ...common,
        geometry: {
          type: 'LineString',
          coordinates: [
            [lng, lat],
            [lng + 0.1, lat + 0.05],
            [lng + 0.2, lat],
            [lng + 0.3, lat + 0.05],
          ],
        },
      });
  }
  return out;
}

/** One realtime node (Postgres) with the production web server in front, built first if stale. */
export function startBenchCluster(webDir: string, repoRoot: string, logDir: string): Promise<Cluster> {
  const build = ensureProductionBuild(webDir, repoRoot, path.join(logDir, 'next-build.log'));
  return startCluster({
    repoRoot,
    webDir,
    logDir,
    buildReady: build,
    nodes: 1,
    // Seeding and joining at full speed: the benchmark is not about the per-connection limits.
    realtimeEnv: {
      RATE_LIMIT_MSGS_PER_S: '100000',
      RATE_LIMIT_BURST: '100000',
      RATE_LIMIT_MAX_EXCESS: '100000',
    },
  });
}

/** Seed a map through `features.import`, as a person's import would. */
export async function seed(realtimeUrl: string, mapId: string, editKey: string, features: Feature[]) {
  const client = await protocolPerson(realtimeUrl, mapId, editKey, 'Seeder');
  await client.importFeatures(features, {
    onProgress: (p) => process.stdout.write(`\rseeded ${p.committedFeatures} / ${p.totalFeatures}`),
  });
  process.stdout.write('\n');
  client.close();
}

/**
 * The peer page: plain MapLibre over the same offline basemap as Meridian's, the features in one
 * unclustered GeoJSON source with default options, fetched once the style has loaded. It leaves
 * `window.peerMarks`: `firstDrawnAt` / `allDrawnAt` (ms since navigation: a feature of the data
 * rendered / the map idle with all of it) and `drawnMs` (data in the page → all drawn).
 */
const peerHtml = (style: unknown) => `<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/maplibre-gl.css"><style>html,body,#map{margin:0;height:100%}</style></head>
<body><div id="map"></div><script type="module">
import * as maplibregl from '/maplibre-gl.mjs';
maplibregl.setWorkerUrl(location.origin + '/maplibre-gl-worker.mjs');
const map = new maplibregl.Map({ container: 'map', center: [10, 30], zoom: 2,
  style: ${JSON.stringify(style)} });
window.peerMap = map;
map.on('load', async () => {
  const t0 = performance.now();
  const data = await (await fetch('/data.json')).json();
  const t1 = performance.now();
  map.addSource('data', { type: 'geojson', data });
  map.addLayer({ id: 'fills', type: 'fill', source: 'data', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#2563eb', 'fill-opacity': 0.28 } });
  map.addLayer({ id: 'lines', type: 'line', source: 'data', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': '#2563eb', 'line-width': 4 } });
  map.addLayer({ id: 'points', type: 'circle', source: 'data', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-color': '#2563eb', 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  let firstDrawnAt;
  const onRender = () => {
    if (map.queryRenderedFeatures({ layers: ['fills', 'lines', 'points'] }).length === 0) return;
    firstDrawnAt = performance.now();
    map.off('render', onRender);
  };
  map.on('render', onRender);
  map.once('idle', () => {
    const now = performance.now();
    window.peerMarks = { fetchedMs: t1 - t0, drawnMs: now - t1, firstDrawnAt: firstDrawnAt ?? now, allDrawnAt: now, data };
  });
});
</script></body></html>`;

/** Serves the peer page, MapLibre's files, the offline basemap and `/data.json` (the features). */
export async function startPeerServer(
  webDir: string,
  repoRoot: string,
  features: Feature[],
): Promise<FixtureServer> {
  const dist = path.join(repoRoot, 'node_modules', 'maplibre-gl', 'dist');
  // Ids as Meridian has them, so the peer's updateData finds its feature.
  const peerData = JSON.stringify({
    type: 'FeatureCollection',
    features: features.map(({ version: _version, ...f }) => f),
  });
  let html = '';
  const types: Record<string, string> = { '.mjs': 'text/javascript', '.css': 'text/css' };
  const server = await startFixtureServer([
    (_request, response, url) => {
      if (url.pathname === '/') response.writeHead(200, { 'Content-Type': 'text/html' }).end(html);
      else if (url.pathname === '/basemap-overview.geojson')
        response
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(readFileSync(path.join(webDir, 'public', 'basemap-overview.geojson')));
      else if (url.pathname === '/data.json')
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(peerData);
      else if (/^\/maplibre-gl[\w-]*\.(mjs|css)$/.test(url.pathname))
        response
          .writeHead(200, { 'Content-Type': types[path.extname(url.pathname)] ?? 'text/plain' })
          .end(readFileSync(path.join(dist, url.pathname.slice(1))));
      else return false;
      return true;
    },
  ]);
  html = peerHtml(offlineStyle(`${server.url}/basemap-overview.geojson`));
  return server;
}
