import { defineConfig } from 'vitest/config';

const jsonReport = process.env.LEDGERSYNC_VITEST_JSON;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', ...(process.env.LEDGERSYNC_SOAK ? [] : ['test/soak/**'])],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
