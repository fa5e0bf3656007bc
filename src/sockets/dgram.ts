/**
 * A UDP socket like node:dgram's, on the board: 'message' (msg, rinfo) pushed by the board within a
 * byte credit the socket re-grants as messages are delivered, send() as sendto, 'close', 'error'.
 */
import { EventEmitter } from 'node:events';
import { errnoName } from '../errno.js';
import { BoardError } from '../errors.js';
import { Op, body } from '../codec/messages.js';
import { type SockAddr, familyOf } from './addr.js';
import * as C from './constants.js';
import { ConnectionResetError, InvalidArgumentError, asResetError } from './errors.js';
import { type PushHandler, SockEvent, SocketRouter } from './router.js';
import { resolveOnBoard } from './streams.js';
import type { Sockets } from './zsock.js';

export interface RemoteInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
  size: number;
}

export interface UdpSocketOptions {
  type: 'udp4' | 'udp6';
  /** Receive credit (bytes in flight from the board), at least two datagrams. Default 8 KiB. */
  recvBufferSize?: number;
}

export class BoardUdpSocket extends EventEmitter implements PushHandler {
  fd: number | undefined;
  private local: SockAddr | undefined;
  private outstanding = 0;
  private granting = false;
  private closed = false;
  private boardGone = false;
  private opening: Promise<number> | undefined;
  private bootId = '';
  private readonly router: SocketRouter;
  private readonly family: number;
  private readonly credit: number;
  messagesReceived = 0;
  creditOverrun = 0;

  constructor(
    readonly sockets: Sockets,
    readonly opts: UdpSocketOptions,
  ) {
    super();
    this.router = SocketRouter.for(sockets.client);
    this.family = opts.type === 'udp6' ? C.AF_INET6 : C.AF_INET;
    this.credit = Math.max(opts.recvBufferSize ?? 8192, 2 * sockets.dataLimit());
  }

  /** The board socket, created on first use and put in push mode. */
  private ensureSocket(bindTo?: SockAddr): Promise<number> {
    if (this.closed) return Promise.reject(new InvalidArgumentError('EBADF', 'socket is closed'));
    this.opening ??= (async () => {
      const fd = await this.sockets.socket(this.family, C.SOCK_DGRAM, C.IPPROTO_UDP);
      this.fd = fd;
      this.bootId = this.sockets.client.info.bootId;
      try {
        if (bindTo) await this.sockets.bind(fd, bindTo);
        this.router.register(fd, this);
        this.grant();
        return fd;
      } catch (err) {
        this.fd = undefined;
        await this.router.closeOnBoot(fd, this.bootId, (n) => this.sockets.close(n));
        throw asResetError(err);
      }
    })();
    return this.opening;
  }

  /** bind(port?, address?): resolves once bound; emits 'listening'. */
  async bind(port = 0, address?: string): Promise<this> {
    const host = address ?? (this.family === C.AF_INET6 ? '::' : '0.0.0.0');
    if (familyOf(host) !== this.family) throw new InvalidArgumentError('EAFNOSUPPORT', `${host} is not an ${this.opts.type} address`);
    if (this.opening) throw new InvalidArgumentError('EINVAL', 'socket is already bound');
    try {
      const fd = await this.ensureSocket({ family: this.family, address: host, port });
      this.local = await this.sockets.getsockname(fd).catch(() => ({ family: this.family, address: host, port }));
    } catch (err) {
      this.emit('error', err);
      throw err;
    }
    this.emit('listening');
    return this;
  }

  address(): { address: string; port: number; family: string } {
    if (!this.local) throw new InvalidArgumentError('EBADF', 'not bound');
    return { address: this.local.address, port: this.local.port, family: this.family === C.AF_INET6 ? 'IPv6' : 'IPv4' };
  }

  /** One datagram (at most the board's data limit; a larger one fails with EMSGSIZE). */
  async send(msg: Uint8Array | string, port: number, address = this.family === C.AF_INET6 ? '::1' : '127.0.0.1'): Promise<number> {
    const data = typeof msg === 'string' ? Buffer.from(msg) : msg;
    if (data.length > this.sockets.dataLimit()) {
      throw new InvalidArgumentError('EMSGSIZE', `datagram of ${data.length} bytes exceeds the bridge's ${this.sockets.dataLimit()}`);
    }
    const fd = await this.ensureSocket();
    const to = await resolveOnBoard(this.sockets, address, port, this.family);
    return this.sockets.sendto(fd, data, 0, to);
  }

  private grant(): void {
    if (this.fd === undefined || this.granting || this.closed) return;
    const want = this.credit - this.outstanding;
    if (want < this.credit / 2) return;
    this.granting = true;
    this.outstanding += want;
    this.sockets.client.request(Op.SOCK_STREAM, body([[1, this.fd], [2, want]])).then(
      () => {
        this.granting = false;
        this.grant();
      },
      (err: Error) => {
        this.granting = false;
        if (!this.closed && this.listenerCount('error') > 0) this.emit('error', asResetError(err));
      },
    );
  }

  onData(data: Uint8Array, from: SockAddr | undefined): void {
    if (this.closed) return;
    if (data.length > this.outstanding) {
      this.creditOverrun += data.length - this.outstanding;
      this.outstanding = 0;
    } else this.outstanding -= data.length;
    this.messagesReceived++;
    const rinfo: RemoteInfo = {
      address: from?.address ?? '',
      family: from?.family === C.AF_INET6 ? 'IPv6' : 'IPv4',
      port: from?.port ?? 0,
      size: data.length,
    };
    // 'message' listeners run synchronously, so delivery is consumption: re-grant right after.
    this.emit('message', Buffer.from(data.buffer, data.byteOffset, data.byteLength), rinfo);
    this.grant();
  }

  onEvent(kind: number, errno: number | undefined): void {
    if (kind === SockEvent.ERROR) {
      const n = errno ?? 5;
      this.emit('error', new BoardError({ op: Op.SOCK_EVENT, errno: n, errnoName: errnoName(n), extack: 'socket error pushed by the board' }));
    }
  }

  onReset(err: ConnectionResetError): void {
    this.boardGone = err.reason === 'board-rebooted';
    if (this.listenerCount('error') > 0) this.emit('error', err);
    void this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      this.router.unregister(fd, this);
      if (!this.boardGone) await this.router.closeOnBoot(fd, this.bootId, (n) => this.sockets.close(n));
    }
    this.emit('close');
  }
}
