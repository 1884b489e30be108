import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Two files at a time on CI's two cores: most tests wait on child processes, sockets and fsync
    // rather than compute, so a second worker cuts the suite's wall time by about a third
    maxWorkers: 2,
    // Generous because a spawned CLI or server takes seconds on a loaded two-core machine; no test
    // relies on these as a measure of speed.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
