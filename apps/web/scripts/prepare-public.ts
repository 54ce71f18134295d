/**
 * Files under public/ that are generated, not committed: run before every build and dev server.
 * - maplibre-gl-worker.mjs: MapLibre's worker must be its own file under Next/Turbopack (the
 *   bundled worker never starts), so the installed one is copied.
 * - basemap-overview.geojson, basemap-detail.geojson: the offline basemap, built from
 *   world-atlas so the map needs no network.
 * - maki-icons.json: the curated Maki icons (CC0) of the style panel, name → SVG text.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAKI_ICONS } from '../src/icons/maki-catalog.ts';
import { buildBasemap } from './basemap/build-basemap.ts';

const require = createRequire(import.meta.url);
const publicDir = fileURLToPath(new URL('../public/', import.meta.url));
mkdirSync(publicDir, { recursive: true });

const maplibreDir = dirname(require.resolve('maplibre-gl/package.json'));
copyFileSync(join(maplibreDir, 'dist', 'maplibre-gl-worker.mjs'), join(publicDir, 'maplibre-gl-worker.mjs'));

const readTopology = (file: string) =>
  JSON.parse(readFileSync(require.resolve(`world-atlas/${file}`), 'utf8'));
const basemap = buildBasemap(readTopology('countries-110m.json'), readTopology('countries-50m.json'));
writeFileSync(join(publicDir, 'basemap-overview.geojson'), JSON.stringify(basemap.overview));
writeFileSync(join(publicDir, 'basemap-detail.geojson'), JSON.stringify(basemap.detail));

// The style panel's marker symbols: the curated Maki SVGs in one file, fetched once by the page.
const makiDir = join(dirname(require.resolve('@mapbox/maki/package.json')), 'icons');
const makiIcons = Object.fromEntries(
  MAKI_ICONS.map(({ name }) => [name, readFileSync(join(makiDir, `${name}.svg`), 'utf8')]),
);
writeFileSync(join(publicDir, 'maki-icons.json'), JSON.stringify(makiIcons));
