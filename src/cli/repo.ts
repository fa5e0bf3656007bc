/**
 * The developer commands (qemu, hil, bench) drive TypeScript that lives beside src/ in the
 * repository (hil/, bench/). They need the checkout and its dev dependencies (tsx), not a build.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CliError } from './errors.js';

/** src/cli/ and dist/cli/ are both two levels below the repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Set by bin/netbridge.js when it registered tsx, so it is never registered twice. */
export const TSX_FLAG = 'NETBRIDGE_TSX';

export function requireRepoFile(rel: string, what: string): string {
  const file = path.join(repoRoot, rel);
  if (!existsSync(file)) {
    throw new CliError('NB_CLI_NOT_IN_CHECKOUT', `${what} needs the netbridge repository checkout (${rel} is missing)`);
  }
  return file;
}

/** Imports a .ts module of the checkout, registering tsx first when this process runs built JS. */
export async function importRepoTs<T>(rel: string, what: string): Promise<T> {
  const file = requireRepoFile(rel, what);
  if (process.env[TSX_FLAG] !== '1') {
    try {
      const api = (await import('tsx/esm/api')) as { register: () => unknown };
      api.register();
      process.env[TSX_FLAG] = '1';
    } catch (err) {
      throw new CliError('NB_CLI_NO_TSX', `${what} needs the dev dependencies (npm install): ${String(err)}`, 1, { cause: err });
    }
  }
  return (await import(pathToFileURL(file).href)) as T;
}

/**
 * Runs a repository script with tsx in a child process, sharing the terminal, and resolves with its
 * exit status (128 + n when killed by signal n). SIGINT reaches it through the process group; here
 * we only wait for it to finish.
 */
export function runRepoScript(rel: string, what: string, args: string[]): Promise<number> {
  const file = requireRepoFile(rel, what);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: repoRoot, stdio: 'inherit' });
    const ignore = () => {}; // the child gets the terminal's SIGINT itself and reports how it ended
    process.on('SIGINT', ignore);
    child.on('error', (err) => {
      process.off('SIGINT', ignore);
      reject(new CliError('NB_CLI_SPAWN', `cannot run ${rel}: ${err.message}`, 1, { cause: err }));
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      const signals: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9 };
      resolve(code ?? 128 + (signal ? (signals[signal] ?? 1) : 0));
    });
  });
}
