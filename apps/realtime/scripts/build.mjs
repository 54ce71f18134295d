// `npm run build -w @meridian/realtime`: bundles the service into plain JavaScript under dist/, so
// production runs `node dist/index.mjs` with no TypeScript loader and only the packages the bundle
// cannot carry (EXTERNAL) in node_modules. Plain JavaScript itself, so it runs before anything is built.
//
//   node scripts/build.mjs                       dist/ only (what `npm start` runs)
//   node scripts/build.mjs --runtime-dir <dir>   also assembles everything production needs under
//                                                <dir>, in the repository's layout (the image's /app)
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_ROOT = path.resolve(APP_DIR, '../..');
const OUT_DIR = path.join(APP_DIR, 'dist');

/**
 * Entry points, by the name of the file each becomes in dist/ (`<name>.mjs`). A worker thread the
 * service starts with `new Worker(new URL('./<name>.mjs', import.meta.url))` is one more line here,
 * and its module one more line in RESOLVES_EMITTED_SIBLING. An optional entry is built when its
 * source exists (so a branch that adds the file needs no change here).
 */
const ENTRIES = [
  { name: 'index', source: 'apps/realtime/src/index.ts' },
  // The one-shot migration of docker-compose's `migrate` service and the Kubernetes Job.
  { name: 'migrate', source: 'packages/db/src/cli/migrate.ts' },
  // Embedded PGlite's worker thread (packages/db/src/drivers/pglite-thread.ts starts it).
  { name: 'pglite-worker', source: 'packages/db/src/drivers/pglite-worker.mjs', optional: true },
];

/**
 * Left out of the bundle, loaded from node_modules at run time:
 * - uWebSockets.js is a native addon (one .node binary per platform and Node ABI);
 * - PGlite loads its Wasm and data files beside its own modules (new URL(…, import.meta.url));
 * - pg-native is pg's optional native driver, never installed.
 */
export const EXTERNAL = ['uWebSockets.js', '@electric-sql/pglite', 'pg-native'];

/**
 * Our modules that use `import.meta.url` say what it must mean once bundled. Those that locate a
 * folder of the repository (the migrations, the default data folder) keep their source file's URL,
 * rewritten relative to the bundle, so the same paths hold in the repository and in the image (which
 * keeps the repository's layout under /app). Those that start an emitted entry (a worker) keep the
 * bundle's URL. A module in neither list fails the build, so a new use is decided, not guessed.
 */
const KEEPS_SOURCE_URL = [
  'apps/realtime/src/env.ts',
  'packages/db/src/migrations/folder.ts',
  'packages/db/src/migrations/create.ts',
  'packages/db/src/migrations/schema-engine.ts',
  'packages/db/src/cli/migrate.ts',
];
const RESOLVES_EMITTED_SIBLING = ['packages/db/src/drivers/pglite-thread.ts'];
/** Generated code: sets a `__dirname` global nothing of ours reads. */
const IGNORED = ['packages/db/src/generated/'];

/** Files the bundle reads at run time, beside it in the repository's layout. */
const RUNTIME_FILES = ['packages/db/prisma/migrations'];

/** @type {import('esbuild').Plugin} */
const importMetaUrlPlugin = {
  name: 'meridian-import-meta-url',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.(ts|mts|mjs|js)$/ }, (args) => {
      const relative = path.relative(REPO_ROOT, args.path).split(path.sep).join('/');
      if (relative.startsWith('..') || relative.includes('node_modules/')) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      if (RESOLVES_EMITTED_SIBLING.includes(relative) || IGNORED.some((p) => relative.startsWith(p)))
        return undefined;
      if (!KEEPS_SOURCE_URL.includes(relative)) {
        return {
          errors: [
            {
              text: `${relative} uses import.meta.url: list it in apps/realtime/scripts/build.mjs (KEEPS_SOURCE_URL or RESOLVES_EMITTED_SIBLING)`,
            },
          ],
        };
      }
      const fromBundle = path.relative(OUT_DIR, args.path).split(path.sep).join('/');
      return {
        contents: text.replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`,
        ),
        loader: path.extname(args.path).slice(1).replace('mts', 'ts').replace('mjs', 'js'),
      };
    });
  },
};

/**
 * Prisma's query compiler comes as a module whose one export is its Wasm as a base64 string (2.3 MB
 * for the "small" build). Bundled, that string is part of the bundle's source text, which V8 keeps
 * for the life of the process, and a second copy lives as the string the module exports. Here the
 * Wasm is written beside the bundle as a plain .wasm file, and the module becomes a small object that
 * reads it when Prisma decodes it (`Buffer.from(x, 'base64')` takes an object's `valueOf()`), so no
 * copy of it stays in the heap once the compiler is instantiated (BENCHMARKS.md, "Lean nodes").
 */
const PRISMA_WASM_MODULE = /query_compiler_[a-z_]+\.[a-z]+\.wasm-base64\.mjs$/;

/** @type {import('esbuild').Plugin} */
const prismaWasmPlugin = {
  name: 'meridian-prisma-wasm',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: PRISMA_WASM_MODULE }, async (args) => {
      const { wasm } = await import(pathToFileURL(args.path).href);
      const file = path.basename(args.path).replace(/-base64\.mjs$/, '');
      mkdirSync(OUT_DIR, { recursive: true });
      writeFileSync(path.join(OUT_DIR, file), Buffer.from(wasm, 'base64'));
      const url = `new URL(${JSON.stringify(`./${file}`)}, import.meta.url)`;
      return {
        contents: `import { readFileSync } from 'node:fs';
export const wasm = { valueOf: () => readFileSync(${url}).toString('base64') };`,
        loader: 'js',
      };
    });
  },
};

const entryPoints = ENTRIES.filter((entry) => {
  const present = existsSync(path.join(REPO_ROOT, entry.source));
  if (!present && !entry.optional) throw new Error(`build: entry ${entry.source} is missing`);
  return present;
}).map((entry) => ({ in: path.join(REPO_ROOT, entry.source), out: entry.name }));

rmSync(OUT_DIR, { recursive: true, force: true });
const result = await build({
  entryPoints,
  outdir: OUT_DIR,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // One self-contained file per entry (no shared chunks): the source-URL rewrite below is relative
  // to dist/ itself, and each entry starts by reading one file.
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: EXTERNAL,
  sourcemap: 'linked',
  minifyWhitespace: true,
  // Bundled CommonJS dependencies call require() for Node's built-ins; ESM output has no require.
  banner: {
    js: "import { createRequire as __meridianCreateRequire } from 'node:module'; const require = __meridianCreateRequire(import.meta.url);",
  },
  plugins: [importMetaUrlPlugin, prismaWasmPlugin],
  metafile: true,
  logLevel: 'warning',
  legalComments: 'linked',
});

const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
const bytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(
  `build: ${entryPoints.map((e) => `dist/${e.out}.mjs`).join(', ')} (${outputs.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB)`,
);

/** The folder of an installed package, as Node would find it from the app. */
function packageDir(name, from = APP_DIR) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === path.dirname(dir)) return undefined;
  }
}

/**
 * Copies the bundle, RUNTIME_FILES and the external packages with their own dependencies (nothing
 * else from node_modules) into `runtimeDir`, in the repository's layout.
 */
function assembleRuntime(runtimeDir) {
  rmSync(runtimeDir, { recursive: true, force: true });
  cpSync(OUT_DIR, path.join(runtimeDir, 'apps/realtime/dist'), { recursive: true });
  for (const file of RUNTIME_FILES) {
    cpSync(path.join(REPO_ROOT, file), path.join(runtimeDir, file), { recursive: true });
  }
  // uWebSockets.js ships a binary per platform and Node ABI (~180 MB): keep this machine's only.
  const uwsBinary = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  const copied = new Set();
  const copyPackage = (name, from) => {
    const dir = packageDir(name, from);
    if (!dir) return false;
    if (copied.has(dir)) return true;
    copied.add(dir);
    const target = path.join(runtimeDir, path.relative(REPO_ROOT, dir));
    cpSync(dir, target, {
      recursive: true,
      filter: (file) => !/uws_.*\.node$/.test(file) || path.basename(file) === uwsBinary,
    });
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      if (!copyPackage(dependency, dir)) throw new Error(`build: ${name} needs ${dependency}, not installed`);
    }
    return true;
  };
  for (const name of EXTERNAL) {
    // pg-native is optional: pg falls back to JavaScript without it.
    if (!copyPackage(name, APP_DIR) && name !== 'pg-native')
      throw new Error(`build: ${name} is not installed`);
  }
  if (!existsSync(path.join(runtimeDir, 'node_modules/uWebSockets.js', uwsBinary))) {
    throw new Error(`build: uWebSockets.js has no ${uwsBinary}`);
  }
  mkdirSync(path.join(runtimeDir, 'apps/realtime'), { recursive: true });
  console.log(
    `build: runtime assembled in ${runtimeDir} (${[...copied].map((d) => path.basename(d)).join(', ')})`,
  );
}

const runtimeFlag = process.argv.indexOf('--runtime-dir');
if (runtimeFlag !== -1) {
  const dir = process.argv[runtimeFlag + 1];
  if (!dir) throw new Error('build: --runtime-dir needs a folder');
  assembleRuntime(path.resolve(dir));
}
