/**
 * What a command runs with: the streams (so tests and `netbridge qemu` can run commands in-process),
 * the environment, the global options and the styles for each stream.
 */
import type { Readable, Writable } from 'node:stream';
import type { GlobalOptions } from './options.js';
import { type Style, colorEnabled, makeStyle } from './style.js';

export interface Io {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface Ctx {
  io: Io;
  g: GlobalOptions;
  /** Style for stdout (data) and stderr (progress, errors); both plain unless that stream is a TTY. */
  out: Style;
  err: Style;
  /** Writes one line of data to stdout. */
  print(line: string): void;
  /** A progress or diagnostic line on stderr. */
  progress(line: string): void;
  /** Only with --verbose. */
  debug(line: string): void;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

export function makeCtx(io: Io, g: GlobalOptions): Ctx {
  const out = makeStyle(!g.json && colorEnabled(io.stdout, io.env));
  const err = makeStyle(colorEnabled(io.stderr, io.env));
  return {
    io,
    g,
    out,
    err,
    print: (line) => void io.stdout.write(`${line}\n`),
    progress: (line) => void io.stderr.write(`${err.dim(line)}\n`),
    debug: (line) => {
      if (g.verbose) io.stderr.write(`${err.dim(line)}\n`);
    },
  };
}

export type SignalName = 'SIGINT' | 'SIGTERM';

/**
 * Resolves when the process gets SIGINT or SIGTERM, with the signal's name. While it is armed the
 * default "die at once" is replaced, so the command can close the board session first.
 */
export function untilSignal(): { signal: Promise<SignalName>; dispose(): void } {
  let dispose = () => {};
  const signal = new Promise<SignalName>((resolve) => {
    const onInt = () => resolve('SIGINT');
    const onTerm = () => resolve('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    dispose = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
  });
  return { signal, dispose };
}
