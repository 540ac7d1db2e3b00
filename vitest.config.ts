import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Lists every reason tests were skipped for, once, at the end of the run.
    globalSetup: ['test/helpers/skip-summary.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration and e2e tests spawn servers and binaries; two cores are shared.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
