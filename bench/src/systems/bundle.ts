/**
 * The peers' entries as plain JavaScript: bundled once per benchmark run with esbuild (their npm
 * packages left external), so a peer node runs `node <entry>.mjs` with no TypeScript loader,
 * as Meridian's bundle does. Start-up time and idle memory then compare the servers, not tsx.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const OUT_DIR = fileURLToPath(new URL('../../.scratch/peers/', import.meta.url));
const built = new Map<string, Promise<string>>();

/** `.scratch/peers/<name>.mjs` for a TypeScript entry (built on first use). */
export function peerBundle(entry: string): Promise<string> {
  let bundle = built.get(entry);
  if (!bundle) {
    const name = entry.split('/').at(-1)?.replace(/\.ts$/, '') ?? 'peer';
    const outfile = `${OUT_DIR}${name}.mjs`;
    bundle = build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      target: 'node20',
      format: 'esm',
      logLevel: 'warning',
    }).then(() => outfile);
    built.set(entry, bundle);
  }
  return bundle;
}
