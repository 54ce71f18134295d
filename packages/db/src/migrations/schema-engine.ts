import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';

type SchemaEngineModule = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

interface WasmExports {
  __wbindgen_start(): void;
}

/** The one WebAssembly call used here; the project's TypeScript libs carry no DOM/Wasm globals. */
declare const WebAssembly: {
  instantiate(
    binary: Uint8Array,
    imports: Record<string, object>,
  ): Promise<{ instance: { exports: WasmExports } }>;
};

let loaded: Promise<SchemaEngineModule> | undefined;

/**
 * Prisma's schema engine compiled to Wasm. Its entry file imports the `.wasm` as an ES module,
 * which plain Node 20 only allows behind --experimental-wasm-modules; instantiating the binary
 * ourselves with the same glue module lets it run under plain `tsx` and vitest.
 */
function loadModule(): Promise<SchemaEngineModule> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const glue: SchemaEngineModule = await import(gluePath);
    const binary = await readFile(gluePath.replace(/\.js$/, '.wasm'));
    const { instance } = await WebAssembly.instantiate(binary, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
    return glue;
  })();
  return loaded;
}

/** No tables or enums are managed outside this schema. */
export const NO_EXTERNAL_ENTITIES = { externalTables: [], externalEnums: [] };

/**
 * A schema engine bound to `adapterFactory` (its shadow database is where `diff` replays a
 * migrations folder). `log` receives the engine's JSON log lines.
 */
export async function openSchemaEngine(
  schema: { path: string; content: string },
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  log: (line: string) => void = () => {},
): Promise<SchemaEngine> {
  const glue = await loadModule();
  return glue.SchemaEngine.new(
    { datamodels: [[schema.path, schema.content]] },
    log,
    bindMigrationAwareSqlAdapterFactory(adapterFactory),
  );
}
