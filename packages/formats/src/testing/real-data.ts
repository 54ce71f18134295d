import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// Real data nobody here wrote, installed as devDependencies (never copied into the repo).
const require = createRequire(import.meta.url);
const fixturesDir = path.join(path.dirname(require.resolve('geojson-fixtures/package.json')), 'data');

/** Every geojson-fixtures file as [name, text]: each geometry type, 2D and with altitudes. */
export function fixtureFiles(): [string, string][] {
  const files: [string, string][] = [];
  for (const folder of ['geometry', 'feature', 'featurecollection'])
    for (const file of readdirSync(path.join(fixturesDir, folder)))
      files.push([`${folder}/${file}`, readFileSync(path.join(fixturesDir, folder, file), 'utf8')]);
  return files;
}

/** world-atlas TopoJSON text: `countries-110m.json`, `countries-50m.json`, `land-110m.json`. */
export function worldAtlas(file: string): string {
  return readFileSync(require.resolve(`world-atlas/${file}`), 'utf8');
}
