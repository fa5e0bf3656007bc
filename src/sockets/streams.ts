/**
 * Node streams over board sockets: BoardSocket (a Duplex like net.Socket) and BoardServer (like
 * net.Server). Received data is pushed by the board (SOCK_STREAM push mode) within credit the
 * stream grants as its reader consumes, so a slow reader holds the board's TCP window closed
 * instead of buffering; writes are pipelined SOCK_WRITEs at the socket's write offset, resumed
 * from the board's offset after a short one (one SEND at a time on firmware without the op).
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { errnoName, errnoNumber } from '../errno.js';
import { BoardError, LinkResetError, NetbridgeError } from '../errors.js';
import { Op, body } from '../codec/messages.js';
import { type SockAddr, familyOf } from './addr.js';
import * as C from './constants.js';
import { ConnectionResetError, InvalidArgumentError, asResetError, isErrno } from './errors.js';
import { type PushHandler, SockEvent, SocketRouter } from './router.js';
import type { Sockets } from './zsock.js';

export interface BoardSocketOptions {
  /** Readable buffer and credit window, bytes. Default 16 KiB. */
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  /** Keep the writable side open after the peer's EOF (net.Socket's allowHalfOpen). Default false. */
  allowHalfOpen?: boolean;
}

export interface ConnectOptions extends BoardSocketOptions {
  host?: string;
  port: number;
  /** AF_INET / AF_INET6, or 4 / 6; default from the address (names resolve on the board). */
  family?: number;
  /** IPPROTO_TCP (0) or a secure protocol (IPPROTO_TLS_1_2) for a TLS client. */
  protocol?: number;
  /** SOL_TLS options set before connect (TLS clients). */
  tls?: { secTags: number[]; hostname?: string; peerVerify?: number; alpn?: string[] };
  timeout?: number;
}

export interface StreamCounters {
  creditGranted: number;
  /** Bytes the board pushed beyond the credit granted (a board bug; kept, counted). */
  creditOverrun: number;
  shortWrites: number;
  sendRetries: number;
}

const DEFAULT_HWM = 16 * 1024;
/** How long a stream whose request died in a link reset waits for the session's verdict. */
const RESET_VERDICT_MS = 15_000;
/** A listener whose ACCEPT a link reset interrupted looks again this much later (the request waits for the reconnect). */
const ACCEPT_RETRY_AFTER_RESET_MS = 1000;
const EAGAIN_BACKOFF_MIN_MS = 5;
const EAGAIN_BACKOFF_MAX_MS = 200;
/** A write that makes no progress this long (send buffer full, no network buffers) fails. */
const WRITE_STALL_MS = 60_000;
/**
 * SOCK_WRITE requests in flight per session, across all its streams: the board holds each in a
 * request slot (its link window), and a request with no slot is refused and sent again with
 * everything behind it. Two slots stay free for everything else (credit, events, other calls).
 */
class WriteBudget {
  private used = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(private readonly capacity: () => number) {}
  tryAcquire(): boolean {
    if (this.used >= this.capacity()) return false;
    this.used++;
    return true;
  }
  async acquire(): Promise<void> {
    while (!this.tryAcquire()) await new Promise<void>((r) => this.waiters.push(r));
  }
  release(): void {
    this.used--;
    this.waiters.shift()?.();
  }
}
const writeBudgets = new WeakMap<object, WriteBudget>();
function writeBudget(sockets: Sockets): WriteBudget {
  let b = writeBudgets.get(sockets.client);
  if (!b) {
    b = new WriteBudget(() => Math.max(1, sockets.client.info.window - 2));
    writeBudgets.set(sockets.client, b);
  }
  return b;
}

/** Sessions whose board does not know SOCK_WRITE (older firmware): writes go one SEND at a time. */
const boardsWithoutWriteOp = new WeakSet<object>();
/** SOCK_WRITE requests one stream keeps in flight (fewer when the board's window is smaller). */
const WRITE_PIPELINE = 4;
/** Send errors that mean "not now": the board's send buffer or its network buffers are full. */
const TRANSIENT_SEND_ERRORS = ['EAGAIN', 'ENOBUFS', 'ENOMEM'];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The family to use for `host`: an address literal's, else `family` (4/6 or AF_*), else AF_INET. */
function pickFamily(host: string, family: number | undefined): number {
  const literal = familyOf(host);
  if (literal !== undefined) return literal;
  if (family === 6 || family === C.AF_INET6) return C.AF_INET6;
  return C.AF_INET;
}

/** `host` as a SockAddr, resolving names on the board. */
export async function resolveOnBoard(sockets: Sockets, host: string, port: number, family?: number): Promise<SockAddr> {
  const literal = familyOf(host);
  if (literal !== undefined) return { family: literal, address: host, port };
  const hints: { family?: number; socktype: number } = { socktype: C.SOCK_STREAM };
  if (family !== undefined) hints.family = pickFamily(host, family);
  const list = await sockets.getaddrinfo(host, undefined, hints);
  const first = list[0];
  if (!first) throw new InvalidArgumentError('EHOSTUNREACH', `getaddrinfo("${host}") returned no address`);
  return { ...first.addr, port };
}

export class BoardSocket extends Duplex implements PushHandler {
  /** The board socket, once connected. */
  fd: number | undefined;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  remoteFamily: string | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  bytesRead = 0;
  bytesWritten = 0;
  connecting = false;
  private readonly router: SocketRouter;
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private failReady!: (e: Error) => void;
  /** Credit granted and not yet used by the board. */
  private outstanding = 0;
  private granting = false;
  private pushMode = false;
  private boardGone = false;
  private eof = false;
  private readRequested = false;
  /** The boot the socket was opened on: after a reboot its fd number is not ours any more. */
  private bootId = '';
  private verdictTimer: NodeJS.Timeout | undefined;
  private readonly sc: StreamCounters = { creditGranted: 0, creditOverrun: 0, shortWrites: 0, sendRetries: 0 };

  constructor(
    readonly sockets: Sockets,
    opts: BoardSocketOptions = {},
  ) {
    super({
      readableHighWaterMark: opts.readableHighWaterMark ?? DEFAULT_HWM,
      writableHighWaterMark: opts.writableHighWaterMark ?? DEFAULT_HWM,
      allowHalfOpen: opts.allowHalfOpen ?? false,
      decodeStrings: true,
    });
    this.router = SocketRouter.for(sockets.client);
    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.failReady = reject;
    });
    this.ready.catch(() => {}); // observed by _write/_final; destroy carries the error to users
  }

  counters(): StreamCounters {
    return { ...this.sc };
  }

  /** Takes over an already connected board socket (accept, or a socket made through the mirror). */
  attach(fd: number, remote?: SockAddr): this {
    this.fd = fd;
    this.bootId = this.sockets.client.info.bootId;
    if (remote) this.setRemote(remote);
    this.router.register(fd, this);
    this.connecting = false;
    this.markReady();
    // A reader that asked before the socket existed is waiting for credit.
    if (this.readRequested) this.maybeGrant();
    return this;
  }

  private setRemote(a: SockAddr): void {
    this.remoteAddress = a.address;
    this.remotePort = a.port;
    this.remoteFamily = a.family === C.AF_INET6 ? 'IPv6' : 'IPv4';
  }

  /** Creates the board socket and connects it; emits 'connect' and 'ready', or 'error'. */
  async connectTo(opts: ConnectOptions): Promise<void> {
    this.connecting = true;
    let fd: number | undefined;
    try {
      const host = opts.host ?? '127.0.0.1';
      const to = await resolveOnBoard(this.sockets, host, opts.port, opts.family);
      fd = await this.sockets.socket(to.family, C.SOCK_STREAM, opts.protocol ?? 0);
      if (this.destroyed) throw new ConnectionResetError('client-closed', 'socket destroyed while connecting');
      if (opts.tls) {
        await this.sockets.setsockopt(fd, C.SOL_TLS, C.TLS_SEC_TAG_LIST, opts.tls.secTags);
        if (opts.tls.hostname !== undefined) await this.sockets.setsockopt(fd, C.SOL_TLS, C.TLS_HOSTNAME, opts.tls.hostname);
        if (opts.tls.peerVerify !== undefined) await this.sockets.setsockopt(fd, C.SOL_TLS, C.TLS_PEER_VERIFY, opts.tls.peerVerify);
        if (opts.tls.alpn) await this.sockets.setsockopt(fd, C.SOL_TLS, C.TLS_ALPN_LIST, opts.tls.alpn);
      }
      await this.sockets.connect(fd, to, opts.timeout === undefined ? {} : { timeout: opts.timeout });
      if (this.destroyed) throw new ConnectionResetError('client-closed', 'socket destroyed while connecting');
      this.attach(fd, to);
      try {
        const local = await this.sockets.getsockname(fd);
        this.localAddress = local.address;
        this.localPort = local.port;
      } catch {
        /* the local name is informative only */
      }
      this.emit('connect');
      this.emit('ready');
    } catch (err) {
      this.connecting = false;
      if (fd !== undefined && this.fd === undefined) void this.router.closeOnBoot(fd, this.sockets.client.info.bootId, (n) => this.sockets.close(n));
      const e = asResetError(err);
      this.failReady(e);
      this.destroy(e);
    }
  }

  // ------------------------------------------------------------------------------- readable

  override _read(): void {
    this.readRequested = true;
    // Node calls _read() before it takes the chunk being read out of the buffer: count the room
    // once it has, or a full buffer grants nothing and no push() ever comes to ask again.
    process.nextTick(() => this.maybeGrant());
  }

  /** Grants credit up to the high-water mark, counting what is buffered and what is in flight. */
  private maybeGrant(): void {
    if (this.fd === undefined || this.granting || this.eof || this.boardGone || this.destroyed) return;
    const hwm = this.readableHighWaterMark;
    const used = this.readableLength + this.outstanding;
    // Enough in flight: top up in bigger steps. But with nothing in flight no push() will come, and
    // Node calls _read() again only after one: then grant whatever room there is, or stall.
    if (this.pushMode && used > hwm / 2 && this.outstanding > 0) return;
    const grant = hwm - used;
    if (grant <= 0) return;
    this.granting = true;
    this.outstanding += grant;
    this.sc.creditGranted += grant;
    const fd = this.fd;
    this.sockets.client
      .request(Op.SOCK_STREAM, body([[1, fd], [2, grant]]))
      .then(
        () => {
          this.pushMode = true;
          this.granting = false;
          if (this.readableLength < hwm) this.maybeGrant();
        },
        (err: Error) => {
          this.granting = false;
          this.fail(err);
        },
      );
  }

  onData(data: Uint8Array): void {
    if (this.destroyed || this.eof) return;
    if (data.length > this.outstanding) {
      this.sc.creditOverrun += data.length - this.outstanding;
      this.outstanding = 0;
    } else {
      this.outstanding -= data.length;
    }
    this.bytesRead += data.length;
    this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    this.maybeGrant();
  }

  onEvent(kind: number, errno: number | undefined): void {
    if (kind === SockEvent.EOF) {
      if (this.eof) return;
      this.eof = true;
      this.push(null);
    } else if (kind === SockEvent.ERROR) {
      const n = errno ?? 104;
      this.destroy(new BoardError({ op: Op.SOCK_EVENT, errno: n, errnoName: errnoName(n), extack: 'socket error pushed by the board' }));
    }
  }

  onReset(err: ConnectionResetError): void {
    clearTimeout(this.verdictTimer);
    this.boardGone = err.reason === 'board-rebooted';
    this.failReady(err);
    this.destroy(err);
  }

  /**
   * A request died in a link reset: whether the board rebooted is only known after the next HELLO,
   * when the router ends the stream with the right reason. Bounded, in case no HELLO comes.
   */
  private fail(err: unknown): void {
    if (!(err instanceof LinkResetError) || this.fd === undefined || this.destroyed) {
      this.destroy(asResetError(err));
      return;
    }
    if (this.verdictTimer) return;
    this.verdictTimer = setTimeout(() => this.destroy(asResetError(err)), RESET_VERDICT_MS);
    this.verdictTimer.unref();
  }

  // ------------------------------------------------------------------------------- writable

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writeAll(chunk).then(
      () => cb(),
      (err: unknown) => (err instanceof LinkResetError ? this.fail(err) : cb(asResetError(err))),
    );
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    // Small writes queued behind a busy line go out as full requests, not one request each.
    this._write(Buffer.concat(chunks.map((c) => c.chunk)), 'latin1', cb);
  }

  /** Bytes the board took through SOCK_WRITE on this socket, mod 2^32 (its write offset). */
  private writeOffset = 0;

  private async writeAll(chunk: Uint8Array): Promise<void> {
    await this.ready;
    if (!boardsWithoutWriteOp.has(this.sockets.client)) {
      try {
        return await this.writePipelined(chunk);
      } catch (err) {
        if (!(err instanceof BoardError && err.op === Op.SOCK_WRITE && (isErrno(err, 'EOPNOTSUPP') || isErrno(err, 'ENOTSUP')) && !err.field)) throw err;
        boardsWithoutWriteOp.add(this.sockets.client);
      }
    }
    return this.writeBySend(chunk);
  }

  /**
   * Writes with several SOCK_WRITE requests in flight (PROTOCOL.md §2.7): the board runs them in
   * arrival order and takes each only at the socket's write offset, so the line never idles
   * waiting for an answer, and after a short write the later ones take nothing and we resume from
   * the offset the board answered.
   */
  private async writePipelined(chunk: Uint8Array): Promise<void> {
    const limit = this.sockets.dataLimit();
    const depth = WRITE_PIPELINE;
    const budget = writeBudget(this.sockets);
    const fd = this.fd;
    if (fd === undefined) throw new ConnectionResetError('client-closed', 'socket destroyed while writing');
    const base = this.writeOffset;
    let confirmed = 0; // bytes of chunk the board took
    let issued = 0; // bytes of chunk handed out in requests since the last resync
    let backoff = EAGAIN_BACKOFF_MIN_MS;
    let lastProgress = performance.now();
    const inflight: { at: number; len: number; answer: Promise<{ taken: number; offset: number }> }[] = [];
    const settle = async () => {
      for (const o of inflight.splice(0)) await o.answer.catch(() => {});
    };
    while (confirmed < chunk.length) {
      if (this.destroyed || this.fd === undefined) {
        await settle();
        throw new ConnectionResetError('client-closed', 'socket destroyed while writing');
      }
      while (inflight.length < depth && issued < chunk.length) {
        // Never more in flight than the board has slots for, across this session's streams.
        if (inflight.length === 0) await budget.acquire();
        else if (!budget.tryAcquire()) break;
        const len = Math.min(limit, chunk.length - issued);
        const answer = this.writeRequest(fd, chunk.subarray(issued, issued + len), (base + issued) >>> 0);
        answer.then(() => budget.release(), () => budget.release());
        answer.catch(() => {}); // awaited in order below
        inflight.push({ at: issued, len, answer });
        issued += len;
      }
      const head = inflight.shift() as (typeof inflight)[number];
      let r: { taken: number; offset: number };
      try {
        r = await head.answer;
      } catch (err) {
        await settle();
        throw err;
      }
      if (r.offset !== ((base + head.at + r.taken) >>> 0)) {
        await settle();
        throw new ConnectionResetError('link-down', `board write offset ${r.offset} out of step (expected ${(base + head.at + r.taken) >>> 0})`);
      }
      confirmed = head.at + r.taken;
      this.writeOffset = r.offset;
      this.bytesWritten += r.taken;
      if (r.taken === head.len) {
        backoff = EAGAIN_BACKOFF_MIN_MS;
        lastProgress = performance.now();
        continue;
      }
      // Short or nothing: what is still in flight is not at the offset and takes nothing.
      await settle();
      issued = confirmed;
      if (r.taken > 0) {
        this.sc.shortWrites++;
        backoff = EAGAIN_BACKOFF_MIN_MS;
        lastProgress = performance.now();
        continue;
      }
      // The board's send buffer is full: the peer reads slowly. Wait, do not pile up requests.
      if (performance.now() - lastProgress > WRITE_STALL_MS) {
        throw new BoardError({ op: Op.SOCK_WRITE, errno: errnoNumber('EAGAIN') ?? 11, errnoName: 'EAGAIN', extack: `no byte taken for ${WRITE_STALL_MS} ms` });
      }
      this.sc.sendRetries++;
      await sleep(backoff);
      backoff = Math.min(backoff * 2, EAGAIN_BACKOFF_MAX_MS);
    }
  }

  private async writeRequest(fd: number, data: Uint8Array, offset: number): Promise<{ taken: number; offset: number }> {
    const rsp = await this.sockets.client.request(Op.SOCK_WRITE, body([[1, fd], [2, data], [3, offset]]));
    const taken = rsp.get(1);
    const at = rsp.get(2);
    if (typeof taken !== 'number' || typeof at !== 'number' || taken > data.length) {
      throw new ConnectionResetError('link-down', 'malformed SOCK_WRITE answer');
    }
    return { taken, offset: at };
  }

  private async writeBySend(chunk: Uint8Array): Promise<void> {
    let off = 0;
    let backoff = EAGAIN_BACKOFF_MIN_MS;
    let lastProgress = performance.now();
    while (off < chunk.length) {
      if (this.destroyed || this.fd === undefined) throw new ConnectionResetError('client-closed', 'socket destroyed while writing');
      let n: number;
      try {
        // Never a blocking SEND: it would hold a board worker while the peer is slow.
        n = await this.sockets.send(this.fd, chunk.subarray(off), C.MSG_DONTWAIT);
      } catch (err) {
        if (!TRANSIENT_SEND_ERRORS.some((name) => isErrno(err, name))) throw err;
        if (performance.now() - lastProgress > WRITE_STALL_MS) throw err;
        n = 0;
      }
      if (n === 0) {
        // The board's send buffer is full: the peer reads slowly. Wait, do not pile up requests.
        this.sc.sendRetries++;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, EAGAIN_BACKOFF_MAX_MS);
        continue;
      }
      backoff = EAGAIN_BACKOFF_MIN_MS;
      lastProgress = performance.now();
      if (off + n < chunk.length) this.sc.shortWrites++;
      off += n;
      this.bytesWritten += n;
    }
  }

  /**
   * end(): SHUT_WR where the board supports it. Zephyr's TCP has no half-close (shutdown(SHUT_WR)
   * is ENOTSUP): then nothing is sent now and the peer sees EOF when the socket closes, once our
   * readable side has ended too (or on destroy). Protocols on Zephyr cannot rely on half-close.
   */
  override _final(cb: (err?: Error | null) => void): void {
    this.ready
      .then(() => (this.fd === undefined ? undefined : this.sockets.shutdown(this.fd, C.SHUT_WR)))
      .then(
        () => cb(),
        (err: unknown) => {
          if (isErrno(err, 'ENOTSUP') || isErrno(err, 'EOPNOTSUPP')) {
            this.halfCloseUnsupported = true;
            cb();
          } else cb(asResetError(err));
        },
      );
  }

  /** The board refused SHUT_WR: end() only finished the writable side on the host. */
  halfCloseUnsupported = false;

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    clearTimeout(this.verdictTimer);
    const fd = this.fd;
    if (fd !== undefined) this.router.unregister(fd, this);
    // After a reboot the fd number may already belong to someone else: never close it then.
    if (fd === undefined || this.boardGone) return cb(err);
    void this.router.closeOnBoot(fd, this.bootId, (n) => this.sockets.close(n)).finally(() => cb(err));
  }

  // ------------------------------------------------------------------------------- net.Socket-alikes

  setNoDelay(noDelay = true): this {
    void this.ready.then(() => this.sockets.setsockopt(this.fd as number, C.IPPROTO_TCP, C.TCP_NODELAY, noDelay)).catch((e: unknown) => this.destroy(e as Error));
    return this;
  }

  setKeepAlive(enable = false): this {
    void this.ready.then(() => this.sockets.setsockopt(this.fd as number, C.SOL_SOCKET, C.SO_KEEPALIVE, enable)).catch((e: unknown) => this.destroy(e as Error));
    return this;
  }

  address(): { address: string; port: number; family: string } | Record<string, never> {
    if (this.localAddress === undefined || this.localPort === undefined) return {};
    return { address: this.localAddress, port: this.localPort, family: this.remoteFamily ?? 'IPv4' };
  }
}

// ------------------------------------------------------------------------------------------ server

export interface ServerOptions extends BoardSocketOptions {
  /** Connections accepted and still open, at most; further peers wait in the board's backlog. */
  maxConnections?: number;
  /** Fallback accept poll while listening, ms (in case an 'acceptable' push was missed). 0 disables. */
  acceptPollMs?: number;
}

export interface ListenOptions {
  port?: number;
  host?: string;
  backlog?: number;
  family?: number;
}

/** A listening board socket; emits 'listening', 'connection' (BoardSocket), 'error', 'close'. */
export class BoardServer extends EventEmitter implements PushHandler {
  fd: number | undefined;
  listening = false;
  private local: SockAddr | undefined;
  private readonly router: SocketRouter;
  private draining = false;
  private drainAgain = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly open = new Set<BoardSocket>();
  private boardGone = false;
  private bootId = '';
  accepted = 0;

  constructor(
    readonly sockets: Sockets,
    readonly opts: ServerOptions = {},
  ) {
    super();
    this.router = SocketRouter.for(sockets.client);
  }

  /** listen(port, host?, backlog?) or listen({port, host, backlog}); resolves once listening. */
  async listen(portOrOpts: number | ListenOptions = {}, host?: string, backlog?: number): Promise<this> {
    const lo: ListenOptions = typeof portOrOpts === 'number' ? { port: portOrOpts, host, backlog } : portOrOpts;
    try {
      const h = lo.host ?? '0.0.0.0';
      const family = pickFamily(h, lo.family);
      const addr: SockAddr = { family, address: h, port: lo.port ?? 0 };
      if (familyOf(h) === undefined) Object.assign(addr, await resolveOnBoard(this.sockets, h, lo.port ?? 0, lo.family));
      const fd = await this.sockets.socket(addr.family, C.SOCK_STREAM, 0);
      this.fd = fd;
      this.bootId = this.sockets.client.info.bootId;
      await this.sockets.setsockopt(fd, C.SOL_SOCKET, C.SO_REUSEADDR, true).catch(() => {});
      await this.sockets.bind(fd, addr);
      await this.sockets.listen(fd, lo.backlog ?? 4);
      this.local = await this.sockets.getsockname(fd).catch(() => addr);
      this.router.register(fd, this);
      // Push mode with no data credit: the board tells us when a peer is waiting.
      await this.sockets.client.request(Op.SOCK_STREAM, body([[1, fd], [2, 0]]));
      this.listening = true;
      const every = this.opts.acceptPollMs ?? 1000;
      if (every > 0) {
        this.pollTimer = setInterval(() => this.drainAccept(), every);
        this.pollTimer.unref();
      }
      this.emit('listening');
      this.drainAccept();
      return this;
    } catch (err) {
      if (this.fd !== undefined) await this.router.closeOnBoot(this.fd, this.bootId, (n) => this.sockets.close(n));
      this.fd = undefined;
      const e = asResetError(err);
      if (this.listenerCount('error') > 0) this.emit('error', e);
      throw e;
    }
  }

  address(): { address: string; port: number; family: string } | null {
    if (!this.local) return null;
    return { address: this.local.address, port: this.local.port, family: this.local.family === C.AF_INET6 ? 'IPv6' : 'IPv4' };
  }

  get connections(): number {
    return this.open.size;
  }

  onData(): void {
    /* a listener has no data */
  }

  onEvent(kind: number, errno: number | undefined): void {
    if (kind === SockEvent.ACCEPTABLE) this.drainAccept();
    else if (kind === SockEvent.ERROR) {
      const n = errno ?? 5;
      this.emit('error', new BoardError({ op: Op.SOCK_EVENT, errno: n, errnoName: errnoName(n), extack: 'listener error pushed by the board' }));
    }
  }

  onReset(err: ConnectionResetError): void {
    this.boardGone = err.reason === 'board-rebooted';
    const wasListening = this.listening;
    this.stop();
    // Unlike other errors a reset is not thrown at a server nobody listens to: 'close' says it ended.
    if (this.listenerCount('error') > 0) this.emit('error', err);
    if (wasListening) this.emit('close');
  }

  /** Accepts every waiting peer without blocking a board worker (timeout 0 until EAGAIN). */
  private drainAccept(): void {
    if (!this.listening || this.fd === undefined) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    const fd = this.fd;
    void (async () => {
      try {
        do {
          this.drainAgain = false;
          while (this.listening && this.open.size < (this.opts.maxConnections ?? Infinity)) {
            let a: { fd: number; addr: SockAddr };
            try {
              a = await this.sockets.accept(fd, { boardTimeout: 0 });
            } catch (err) {
              if (isErrno(err, 'EAGAIN')) break;
              throw err;
            }
            this.accepted++;
            const s = new BoardSocket(this.sockets, this.opts).attach(a.fd, a.addr);
            s.localAddress = this.local?.address;
            s.localPort = this.local?.port;
            this.open.add(s);
            s.once('close', () => {
              this.open.delete(s);
              this.drainAccept();
            });
            this.emit('connection', s);
          }
        } while (this.drainAgain && this.listening);
      } catch (err) {
        if (err instanceof LinkResetError) {
          // The link reset under the ACCEPT: the session's verdict (reboot or not) comes through
          // onReset. If the board kept its sockets the listener is still there: look again.
          const retry = setTimeout(() => this.drainAccept(), ACCEPT_RETRY_AFTER_RESET_MS);
          retry.unref();
        } else if (this.listening && !(err instanceof NetbridgeError && err.code === 'NB_CLOSED')) {
          this.emit('error', asResetError(err));
        }
      } finally {
        this.draining = false;
      }
    })();
  }

  private stop(): void {
    this.listening = false;
    clearInterval(this.pollTimer);
    if (this.fd !== undefined) this.router.unregister(this.fd, this);
  }

  /** Stops listening (open connections stay); resolves once the board closed the listener. */
  async close(): Promise<void> {
    const fd = this.fd;
    const wasListening = this.listening;
    this.stop();
    this.fd = undefined;
    if (fd !== undefined && !this.boardGone) await this.router.closeOnBoot(fd, this.bootId, (n) => this.sockets.close(n));
    if (wasListening) this.emit('close');
  }
}
