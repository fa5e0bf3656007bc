/** A serial port (or pty) as a Transport. */
import { realpathSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import { PortError } from '../errors.js';

export const DEFAULT_BAUD_RATE = 115200;

export interface SerialOptions {
  /** Default 115200; a pty ignores it. */
  baudRate?: number;
}

/** Opens `path` and resolves once it is open; failures are PortError. */
export async function openSerialPort(path: string, opts: SerialOptions = {}): Promise<Duplex> {
  const port = new SerialPort({ path, baudRate: opts.baudRate ?? DEFAULT_BAUD_RATE, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    port.open((err) => (err ? reject(new PortError(`cannot open ${path}: ${err.message}`, { cause: err })) : resolve()));
  });
  return port;
}

/**
 * Ends a transport and resolves once its resources are released. A SerialPort must be closed, not
 * destroyed: destroy() leaves the descriptor and its exclusive lock behind, so the same path could
 * not be opened again.
 */
export async function closeTransport(transport: Duplex, timeoutMs = 1000): Promise<void> {
  if (transport instanceof SerialPort) {
    if (transport.isOpen) {
      await new Promise<void>((resolve) => {
        const fallback = setTimeout(resolve, timeoutMs);
        transport.close(() => {
          clearTimeout(fallback);
          resolve();
        });
      });
    }
    if (!transport.destroyed) transport.destroy();
    return;
  }
  if (transport.destroyed) return;
  await new Promise<void>((resolve) => {
    const fallback = setTimeout(resolve, timeoutMs); // a stream that already closed emits no 'close'
    transport.once('close', () => {
      clearTimeout(fallback);
      resolve();
    });
    transport.destroy();
  });
}

/**
 * Whether `path` is a pseudo-terminal (an emulator's or native_sim's UART): it carries bytes as
 * fast as both ends move them, whatever baud rate it is opened with. Symlinks are followed.
 */
export function isPseudoTerminal(path: string): boolean {
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // Not there (yet): judge the name.
  }
  return /^\/dev\/(pts\/\d+|ptmx|ttys\d+)$/.test(real);
}

/**
 * Bytes per second a serial port at `baudRate` carries (8N1: 10 bits per byte), or undefined for a
 * pty, whose rate is unknown.
 */
export function serialLineRate(path: string, baudRate = DEFAULT_BAUD_RATE): number | undefined {
  return isPseudoTerminal(path) ? undefined : baudRate / 10;
}
