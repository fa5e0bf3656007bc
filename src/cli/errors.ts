/**
 * How the CLI fails: one line on stderr and a non-zero exit status. Library errors keep their NB_
 * code; CLI-level failures get their own codes and an exit status (2 for usage, 1 otherwise).
 */
import { NetbridgeError } from '../errors.js';

/** Exit statuses. SIGINT/SIGTERM follow the shell convention 128 + signal number. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  sigint: 130,
  sigterm: 143,
} as const;

export class CliError extends NetbridgeError {
  constructor(
    code: string,
    message: string,
    readonly exitCode: number = EXIT.failure,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Wrong arguments: exit status 2, like most Unix tools. */
export class UsageError extends CliError {
  constructor(message: string) {
    super('NB_CLI_USAGE', message, EXIT.usage);
  }
}

export function exitCodeOf(err: unknown): number {
  return err instanceof CliError ? err.exitCode : EXIT.failure;
}

/**
 * The one line a user sees: "netbridge: <message> (<CODE>)". With `verbose`, the stack and each
 * cause follow on the next lines.
 */
export function formatError(err: unknown, verbose: boolean): string {
  if (!(err instanceof Error)) return `netbridge: ${String(err)}`;
  const code = (err as { code?: unknown }).code;
  const firstLine = (err.message.split('\n')[0] ?? '').trim() || err.name;
  let out = `netbridge: ${firstLine}${typeof code === 'string' ? ` (${code})` : ''}`;
  if (verbose) {
    let e: unknown = err;
    const seen = new Set<unknown>();
    while (e instanceof Error && !seen.has(e)) {
      seen.add(e);
      out += `\n${e.stack ?? `${e.name}: ${e.message}`}`;
      e = e.cause;
      if (e !== undefined) out += '\ncaused by:';
    }
  }
  return out;
}
