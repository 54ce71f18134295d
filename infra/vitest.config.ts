import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Installs Debian's docker-compose and haproxy when missing, and the Prisma client the nodes need.
    globalSetup: ['test/support/global-setup.ts'],
    // One file at a time: the load-balancer test runs three nodes and HAProxy on a two-core machine.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
