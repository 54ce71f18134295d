import { defineConfig } from 'vitest/config';

// Integration tests start embedded PGlite (a Wasm Postgres) and create real Postgres databases,
// and the concurrency tests queue hundreds of transactions on two cores: allow them time.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
