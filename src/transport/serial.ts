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
