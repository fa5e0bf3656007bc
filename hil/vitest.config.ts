import { configDefaults, defineConfig } from 'vitest/config';

// Suites left out of the default HIL tier until the firmware behind them passes on every target;
// NETBRIDGE_HIL_ALL=1 runs them too. sockets: the board's SEND path is too slow for the bulk
// transfers (about 100 ms per SEND), native_sim's TCP loopback delivers no data, and a long
// transfer can leave mps2/an385's network unresponsive (see the sockets issue).
const notYetInDefaultTier = ['hil/tests/sockets.test.ts'];

// One board, one serial device: test files run one after another, never in parallel.
export default defineConfig({
  test: {
    include: ['hil/tests/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(process.env.NETBRIDGE_HIL_ALL === '1' ? [] : notYetInDefaultTier)],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
