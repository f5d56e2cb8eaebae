import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Property tests use fixed seeds (see test/support/fc.ts); nothing here depends on wall time.
    testTimeout: 60_000,
  },
});
