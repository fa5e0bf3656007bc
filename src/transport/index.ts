/** A Transport is any Node Duplex carrying the raw line bytes. */
export type { Duplex as Transport } from 'node:stream';
export { createMemoryPair } from './memory.js';
export { closeTransport, openSerialPort, type SerialOptions } from './serial.js';
export { connectTcp } from './tcp.js';
