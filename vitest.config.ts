import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const jsonReport = process.env.LEDGERSYNC_VITEST_JSON;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', ...(process.env.LEDGERSYNC_SOAK ? [] : ['test/soak/**'])],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One test file per core, not vitest's default of one fewer: most files spend their time waiting
    // on the CLI they spawn, fake vendors, PostgreSQL and timers, so on 2 cores the default ran the
    // suite one file at a time (603 s) where two at once take about 390 s.
    maxWorkers: Math.max(2, availableParallelism()),
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
