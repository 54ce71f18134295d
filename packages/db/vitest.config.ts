import { defineConfig } from 'vitest/config';

// Integration tests start embedded PGlite (a Wasm Postgres) and create real Postgres databases,
// and the concurrency tests queue hundreds of transactions on two cores: allow them time (a shared,
// loaded machine made the Wasm schema engine take over a minute per migration diff).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // One initdb'd PGlite folder per run, copied by the integration tests (see the file).
    globalSetup: ['src/testing/pglite-template.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});
