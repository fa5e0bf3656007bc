/**
 * Host decoder fuzzing at scale, outside the default test run:
 *
 *   npm run fuzz:host                   1 000 000 cases per property, random seed
 *   npm run fuzz:host -- --runs 20000 --seed 42
 *
 * Prints cases, time and the seed per property (a failure prints fast-check's counterexample and
 * the seed and path to replay it); exits 1 on a failure.
 */
import fc from 'fast-check';
import { properties } from './fuzz-properties.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const runs = Number(arg('--runs') ?? 1_000_000);
const seed = Number(arg('--seed') ?? Date.now() % 2 ** 31);
let failed = 0;
const started = performance.now();
console.log(`host decoder fuzzing: ${runs} cases per property, seed ${seed}`);
for (const { name, property } of properties()) {
  const t0 = performance.now();
  const details = await fc.check(property, { numRuns: runs, seed });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (details.failed) {
    failed++;
    console.log(`FAIL ${name} (${secs} s)\n${fc.defaultReportMessage(details) ?? ''}`);
  } else {
    console.log(`ok   ${name}: ${details.numRuns} cases, ${details.numSkips} skipped, ${secs} s`);
  }
}
console.log(`${failed === 0 ? 'no finding' : `${failed} failing properties`} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exit(failed === 0 ? 0 : 1);
