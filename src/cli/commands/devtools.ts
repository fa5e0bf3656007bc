/** `netbridge hil` and `netbridge bench`: the repository's HIL runner and benchmarks. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { repoRoot, runRepoScript } from '../repo.js';

export function runHil(args: string[]): Promise<number> {
  return runRepoScript(path.join('hil', 'run.ts'), 'netbridge hil', args);
}

/** Where the benchmark runner is expected; `bench/run.ts` is the convention of this repository. */
export const BENCH_ENTRY = path.join('bench', 'run.ts');

export function runBench(args: string[]): Promise<number> {
  if (!existsSync(path.join(repoRoot, BENCH_ENTRY))) {
    return Promise.reject(
      new CliError('NB_CLI_NO_BENCH', `no benchmarks in this checkout (${BENCH_ENTRY} is missing)`),
    );
  }
  return runRepoScript(BENCH_ENTRY, 'netbridge bench', args);
}
