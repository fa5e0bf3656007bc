/**
 * Global options (every command accepts them) and the parsers commander calls for their values.
 * Parsers throw UsageError so a bad value is one line and exit status 2.
 */
import { UsageError } from './errors.js';

export interface GlobalOptions {
  /** Serial device, or tcp:HOST:PORT for a UART bridged over TCP (QEMU -serial tcp:...). */
  port?: string;
  baud: number;
  /** Handshake and request timeout, ms. */
  timeout: number;
  verbose: boolean;
  json: boolean;
}

export const DEFAULT_BAUD = 115200;
export const DEFAULT_TIMEOUT_MS = 5000;
/** Environment variable naming the default port. */
export const PORT_ENV = 'NETBRIDGE_PORT';

export function parseIntOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim())) throw new UsageError(`${name} must be a whole number, not "${value}"`);
    const n = Number(value);
    if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}, not ${n}`);
    return n;
  };
}

export const parseBaud = parseIntOption('--baud', 50, 10_000_000);

/** "5000", "5000ms", "5s", "1.5s" -> milliseconds. */
export function parseDuration(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(value);
  if (!m) throw new UsageError(`--timeout must be a duration like 5000, 5000ms or 5s, not "${value}"`);
  const ms = Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1));
  if (ms < 1 || ms > 3_600_000) throw new UsageError(`--timeout must be between 1 ms and 1 h, not ${value}`);
  return ms;
}

export type PortSpec = { kind: 'serial'; path: string } | { kind: 'tcp'; host: string; port: number };

/** A device path, or tcp:HOST:PORT (IPv6 hosts in brackets: tcp:[::1]:4000). */
export function parsePortSpec(spec: string): PortSpec {
  if (spec.startsWith('tcp:')) {
    const m = /^tcp:(\[[^\]]+\]|[^:]+):(\d+)$/.exec(spec);
    if (!m) throw new UsageError(`--port ${spec}: expected tcp:HOST:PORT`);
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new UsageError(`--port ${spec}: TCP port out of range`);
    return { kind: 'tcp', host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
  }
  if (spec.length === 0) throw new UsageError('--port needs a device path');
  return { kind: 'serial', path: spec };
}

/** The port to use: --port, else $NETBRIDGE_PORT, else a usage error that says how to find one. */
export function resolvePort(g: Pick<GlobalOptions, 'port'>, env: NodeJS.ProcessEnv): PortSpec {
  const spec = g.port ?? env[PORT_ENV];
  if (!spec) {
    throw new UsageError(`no board port: pass --port <device> or set ${PORT_ENV} (\`netbridge ports\` lists candidates)`);
  }
  return parsePortSpec(spec);
}
