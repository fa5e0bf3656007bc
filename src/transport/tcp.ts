/** A TCP connection (e.g. to a UART-over-TCP bridge or QEMU -serial tcp:) as a Transport. */
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { PortError } from '../errors.js';

export async function connectTcp(host: string, port: number): Promise<Duplex> {
  return await new Promise<Duplex>((resolve, reject) => {
    const socket = connect({ host, port });
    const onError = (err: Error) => {
      socket.destroy();
      reject(new PortError(`cannot connect to ${host}:${port}: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
