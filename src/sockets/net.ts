/**
 * `board.net`: the Node-shaped facade over one Client: net.connect / createServer and a dgram-like
 * createSocket, plus the zsock mirror itself as `sockets`.
 */
import type { Client } from '../session/client.js';
import { ConnectionResetError } from './errors.js';
import { BoardUdpSocket, type UdpSocketOptions } from './dgram.js';
import { type RouterCounters, SocketRouter } from './router.js';
import { BoardServer, BoardSocket, type ConnectOptions, type ServerOptions } from './streams.js';
import { Sockets } from './zsock.js';

export interface NetApi {
  sockets: Sockets;
  /** Like net.connect: the socket at once; 'connect' once the board connected it. */
  connect(opts: ConnectOptions, onConnect?: () => void): BoardSocket;
  connect(port: number, host?: string, onConnect?: () => void): BoardSocket;
  createConnection: NetApi['connect'];
  /** Resolves once connected; rejects with the board's typed error. */
  connectAsync(opts: ConnectOptions): Promise<BoardSocket>;
  createServer(opts?: ServerOptions | ((s: BoardSocket) => void), onConnection?: (s: BoardSocket) => void): BoardServer;
  createSocket(type: 'udp4' | 'udp6' | UdpSocketOptions, onMessage?: (msg: Buffer, rinfo: unknown) => void): BoardUdpSocket;
  /** Push notifications routed, dropped for closed sockets, streams reset. */
  counters(): RouterCounters;
}

export function createNetApi(client: Client): NetApi {
  const sockets = new Sockets(client);
  const connect = (a: ConnectOptions | number, b?: string | (() => void), c?: () => void): BoardSocket => {
    const opts: ConnectOptions = typeof a === 'number' ? { port: a, ...(typeof b === 'string' ? { host: b } : {}) } : a;
    const cb = typeof b === 'function' ? b : c;
    const s = new BoardSocket(sockets, opts);
    if (cb) s.once('connect', cb);
    void s.connectTo(opts);
    return s;
  };
  return {
    sockets,
    connect: connect as NetApi['connect'],
    createConnection: connect as NetApi['connect'],
    connectAsync(opts) {
      const s = new BoardSocket(sockets, opts);
      // The rejection reports a failed connect; the stream's own 'error' would be unhandled.
      const swallow = () => {};
      s.on('error', swallow);
      return s.connectTo(opts).then(() => {
        if (s.destroyed || s.fd === undefined) throw s.errored ?? new ConnectionResetError('client-closed', 'socket destroyed while connecting');
        s.off('error', swallow);
        return s;
      });
    },
    createServer(opts, onConnection) {
      const o = typeof opts === 'function' ? {} : (opts ?? {});
      const listener = typeof opts === 'function' ? opts : onConnection;
      const server = new BoardServer(sockets, o);
      if (listener) server.on('connection', listener);
      return server;
    },
    createSocket(type, onMessage) {
      const s = new BoardUdpSocket(sockets, typeof type === 'string' ? { type } : type);
      if (onMessage) s.on('message', onMessage);
      return s;
    },
    counters: () => SocketRouter.for(client).counters(),
  };
}
