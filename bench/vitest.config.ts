import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The smoke benchmark starts servers and clients: give it room, but it stays bounded.
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
