import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests of the pure logic, and end-to-end tests that drive headless
// Chromium against the production build and real realtime nodes (one file at a time, since a
// 2-core machine runs the browser, Next and the nodes together).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          globalSetup: ['e2e/global-setup.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 90_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
