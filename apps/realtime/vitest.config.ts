import { defineConfig } from 'vitest/config';

// The suites start real servers (uWS, PGlite, Postgres databases, Redis, child processes) on a
// two-core machine: one file at a time, generous timeouts, and forks (the native uWS binding
// stays out of worker threads).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
