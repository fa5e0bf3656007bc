/** A serial port (or pty) as a Transport. */
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import { PortError } from '../errors.js';

export interface SerialOptions {
  /** Default 115200; a pty ignores it. */
  baudRate?: number;
}

/** Opens `path` and resolves once it is open; failures are PortError. */
export async function openSerialPort(path: string, opts: SerialOptions = {}): Promise<Duplex> {
  const port = new SerialPort({ path, baudRate: opts.baudRate ?? 115200, autoOpen: false });
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
