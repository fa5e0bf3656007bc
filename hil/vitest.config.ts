import { configDefaults, defineConfig } from 'vitest/config';

// One board, one serial device: test files run one after another, never in parallel.
export default defineConfig({
  test: {
    include: ['hil/tests/**/*.test.ts'],
    exclude: [...configDefaults.exclude],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
