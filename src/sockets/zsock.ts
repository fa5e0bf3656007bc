/**
 * The zsock mirror: Zephyr's BSD socket calls, run on the board over the bridge, named without the
 * `zsock_` prefix, with Zephyr's constants and semantics. Short reads and writes stay short (a send
 * larger than one message carries what fits and returns the count the board accepted); board
 * failures reject with BoardError (Zephyr errno by name and number).
 */
import type { CborMap } from '../codec/cbor.js';
import * as f from '../codec/fields.js';
import { Kind, Op, body, encodeMessage, opName } from '../codec/messages.js';
import { BoardError, ProtocolError } from '../errors.js';
import type { Client, RequestOptions } from '../session/client.js';
import { type SockAddr, parseSockAddr, sockaddrBody } from './addr.js';
import * as C from './constants.js';
import { type BoardFeature, FeatureUnsupportedError, InvalidArgumentError } from './errors.js';
import { type SockOptValue, decodeOptionValue, encodeOptionValue } from './options.js';

export interface CallOptions {
  /** Host-side limit for the whole call, ms (defaults: the client's, or the board timeout plus slack). */
  timeout?: number;
  signal?: AbortSignal;
}

export interface BlockingOptions extends CallOptions {
  /** How long the board may block, ms; -1 forever (Zephyr's default). */
  boardTimeout?: number;
}

export interface RecvFromResult {
  data: Uint8Array;
  from: SockAddr | undefined;
  /** The datagram's full length when MSG_TRUNC applied (Zephyr returns it instead of the copied length). */
  fullLength: number | undefined;
  /** msg_flags out: MSG_TRUNC when the datagram was cut. */
  flags: number;
}

export interface MsgHdr {
  /** Destination (sendmsg) or source (recvmsg). */
  name?: SockAddr | undefined;
  iov: Uint8Array[];
  flags?: number;
}

export interface PollFd {
  fd: number;
  events: number;
  revents?: number;
}

export interface AddrInfo {
  family: number;
  socktype: number;
  protocol: number;
  addr: SockAddr;
  canonname?: string;
}

export interface AddrInfoHints {
  family?: number;
  socktype?: number;
  protocol?: number;
  flags?: number;
}

export interface SelectResult {
  count: number;
  readfds: number[];
  writefds: number[];
  exceptfds: number[];
}

/** Slack over a board-side timeout before the host gives up on the answer. */
const BOARD_TIMEOUT_SLACK_MS = 5000;
/** setTimeout's ceiling: a "forever" call is bounded host-side by this (about 24.8 days). */
const FOREVER_MS = 2 ** 31 - 1;
/** Blocking calls the board bounds itself (connect's SYN retries, TLS handshake, DNS). */
const BLOCKING_DEFAULT_MS = 30_000;
/** How long a call without its own timeout keeps retrying a busy bridge. */
const BUSY_RETRY_MS = 10_000;

export class Sockets {
  constructor(readonly client: Client) {}

  // ------------------------------------------------------------------------------- plumbing

  /** Whether the board announced `feature` in HELLO. */
  has(feature: BoardFeature): boolean {
    return this.client.info.features.includes(feature);
  }

  private require(feature: BoardFeature, what: string): void {
    if (this.has(feature)) return;
    const why = feature === 'tls' ? 'this firmware was built without TLS (no F_TLS in HELLO)' : `the board does not announce F_${feature.toUpperCase()}`;
    throw new FeatureUnsupportedError(feature, `${what}: ${why}`);
  }

  /**
   * One request. EBUSY about the bridge itself (no request slot, every worker blocked: no field
   * key) is the bridge's, not Zephyr's: retried with backoff within the call's time. EBUSY about
   * a socket (field 1: push mode, a call in progress) is the caller's.
   */
  private async call(op: number, b: CborMap, opts: CallOptions = {}, fallbackTimeout?: number): Promise<CborMap> {
    this.require('sockets', opName(op));
    const timeout = opts.timeout ?? fallbackTimeout;
    // Without a call timeout each try has the client's own; busy retries stop after ~10 s then.
    const deadline = performance.now() + (timeout ?? BUSY_RETRY_MS);
    let backoff = 5;
    for (;;) {
      const req: RequestOptions = {};
      if (timeout !== undefined) req.timeout = Math.max(1, deadline - performance.now());
      if (opts.signal) req.signal = opts.signal;
      try {
        return await this.client.request(op, b, req);
      } catch (err) {
        const bridgeBusy = err instanceof BoardError && err.errnoName === 'EBUSY' && !err.field;
        if (!bridgeBusy || performance.now() + backoff >= deadline) throw err;
        this.busyRetries++;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 200);
      }
    }
  }

  /** Requests retried because the bridge had no free worker or slot. */
  busyRetries = 0;

  /** Host timeout for a call the board may block for `boardMs` (-1 forever). */
  private static blockingTimeout(boardMs: number | undefined, fallback = BLOCKING_DEFAULT_MS): number {
    if (boardMs === undefined) return fallback;
    if (boardMs < 0) return FOREVER_MS;
    return Math.min(FOREVER_MS, boardMs + BOARD_TIMEOUT_SLACK_MS);
  }

  /**
   * Most data bytes one SEND request or one RECV/SOCK_DATA answer carries: the board's announced
   * limit, and what fits the board's MTU with the worst-case framing of a SEND (id, fd, flags,
   * IPv6 destination).
   */
  dataLimit(): number {
    const info = this.client.info;
    const probe = (n: number) =>
      encodeMessage({
        kind: Kind.REQ,
        op: Op.SEND,
        id: 0xffffffff,
        body: body([
          [1, 0xffffffff],
          [2, new Uint8Array(n)],
          [3, 0xffffffff],
          [4, sockaddrBody({ family: C.AF_INET6, address: 'ffff::ffff', port: 65535, scopeId: 0xffffffff })],
        ]),
      }).length;
    const overhead = probe(65536) - 65536; // the largest bstr header (5 bytes) bounds every size
    const byMtu = Math.max(1, info.mtu - overhead);
    return Math.max(1, Math.min(byMtu, info.limits.maxData ?? byMtu));
  }

  // ------------------------------------------------------------------------------- lifecycle

  async socket(family: number, type: number, protocol = 0, opts?: CallOptions): Promise<number> {
    if (C.isSecureProtocol(protocol)) this.require('tls', 'socket');
    const rsp = await this.call(Op.SOCKET, body([[1, family], [2, type], [3, protocol]]), opts);
    return f.uint(rsp, 1, 'SOCKET response');
  }

  async socketpair(family: number, type: number, protocol = 0, opts?: CallOptions): Promise<[number, number]> {
    const rsp = await this.call(Op.SOCKETPAIR, body([[1, family], [2, type], [3, protocol]]), opts);
    const pair = f.array(rsp, 1, 'SOCKETPAIR response');
    if (pair.length !== 2 || !pair.every((x) => typeof x === 'number')) throw new ProtocolError('SOCKETPAIR: not two sockets');
    return [pair[0] as number, pair[1] as number];
  }

  async close(fd: number, opts?: CallOptions): Promise<void> {
    await this.call(Op.CLOSE, body([[1, fd]]), opts);
  }

  async shutdown(fd: number, how: number, opts?: CallOptions): Promise<void> {
    await this.call(Op.SHUTDOWN, body([[1, fd], [2, how]]), opts);
  }

  async bind(fd: number, addr: SockAddr, opts?: CallOptions): Promise<void> {
    await this.call(Op.BIND, body([[1, fd], [2, sockaddrBody(addr)]]), opts);
  }

  /** Blocks on the board until connected (or its connect timeout / TLS handshake ends). */
  async connect(fd: number, addr: SockAddr, opts?: CallOptions): Promise<void> {
    await this.call(Op.CONNECT, body([[1, fd], [2, sockaddrBody(addr)]]), opts, BLOCKING_DEFAULT_MS);
  }

  async listen(fd: number, backlog: number, opts?: CallOptions): Promise<void> {
    await this.call(Op.LISTEN, body([[1, fd], [2, backlog]]), opts);
  }

  /** `boardTimeout` 0 polls (EAGAIN when nobody is waiting); -1, the default, blocks a board worker. */
  async accept(fd: number, opts: BlockingOptions = {}): Promise<{ fd: number; addr: SockAddr }> {
    const rsp = await this.call(
      Op.ACCEPT,
      body([[1, fd], [2, opts.boardTimeout]]),
      opts,
      Sockets.blockingTimeout(opts.boardTimeout, FOREVER_MS),
    );
    return { fd: f.uint(rsp, 1, 'ACCEPT response'), addr: parseSockAddr(rsp.get(2), 'ACCEPT response') };
  }

  // ------------------------------------------------------------------------------- data

  /** Sends what fits one message (at most dataLimit() bytes); resolves with the bytes the board took. */
  async send(fd: number, data: Uint8Array, flags = 0, opts?: CallOptions): Promise<number> {
    return this.sendInternal(fd, data, flags, undefined, opts);
  }

  async sendto(fd: number, data: Uint8Array, flags: number, to: SockAddr, opts?: CallOptions): Promise<number> {
    return this.sendInternal(fd, data, flags, to, opts);
  }

  /** The iovecs are gathered into one SEND, as zsock_sendmsg gathers them into one packet. */
  async sendmsg(fd: number, msg: MsgHdr, flags = 0, opts?: CallOptions): Promise<number> {
    return this.sendInternal(fd, Buffer.concat(msg.iov), flags, msg.name, opts);
  }

  private async sendInternal(fd: number, data: Uint8Array, flags: number, to: SockAddr | undefined, opts?: CallOptions): Promise<number> {
    const chunk = data.length > this.dataLimit() ? data.subarray(0, this.dataLimit()) : data;
    const rsp = await this.call(
      Op.SEND,
      body([[1, fd], [2, chunk], [3, flags || undefined], [4, to ? sockaddrBody(to) : undefined]]),
      opts,
      BLOCKING_DEFAULT_MS,
    );
    const n = f.uint(rsp, 1, 'SEND response');
    if (n > chunk.length) throw new ProtocolError(`SEND: board accepted ${n} of ${chunk.length} bytes`);
    return n;
  }

  /**
   * At most `len` bytes (and at most dataLimit() per message: a longer read is short, as Zephyr's
   * may be). MSG_WAITALL is kept across messages: the host repeats until `len` bytes or EOF.
   * An empty result is an orderly EOF.
   */
  async recv(fd: number, len: number, flags = 0, opts: BlockingOptions = {}): Promise<Uint8Array> {
    if ((flags & C.MSG_WAITALL) !== 0 && (flags & C.MSG_PEEK) === 0 && len > this.dataLimit()) {
      const parts: Uint8Array[] = [];
      let got = 0;
      while (got < len) {
        const want = Math.min(len - got, this.dataLimit());
        const r = await this.recvInternal(fd, want, flags, false, opts);
        parts.push(r.data);
        got += r.data.length;
        if (r.data.length < want) break; // EOF or error-free short end (timeout): short stays short
      }
      return Buffer.concat(parts);
    }
    return (await this.recvInternal(fd, len, flags, false, opts)).data;
  }

  async recvfrom(fd: number, len: number, flags = 0, opts: BlockingOptions = {}): Promise<RecvFromResult> {
    return this.recvInternal(fd, len, flags, true, opts);
  }

  /** Scatters one received message over buffers of the given lengths. */
  async recvmsg(fd: number, iovLengths: number[], flags = 0, opts: BlockingOptions = {}): Promise<MsgHdr & { length: number }> {
    const total = iovLengths.reduce((a, b) => a + b, 0);
    const r = await this.recvInternal(fd, total, flags, true, opts);
    const iov: Uint8Array[] = [];
    let at = 0;
    for (const n of iovLengths) {
      iov.push(r.data.subarray(at, Math.min(at + n, r.data.length)));
      at += n;
    }
    return { name: r.from, iov, flags: r.flags, length: r.fullLength ?? r.data.length };
  }

  private async recvInternal(fd: number, len: number, flags: number, wantFrom: boolean, opts: BlockingOptions): Promise<RecvFromResult> {
    if (!Number.isInteger(len) || len < 0) throw new InvalidArgumentError('EINVAL', `recv length ${len}`);
    const max = Math.min(len, this.dataLimit());
    const dontwait = (flags & C.MSG_DONTWAIT) !== 0;
    const rsp = await this.call(
      Op.RECV,
      body([[1, fd], [2, max], [3, flags || undefined], [4, wantFrom || undefined], [5, opts.boardTimeout]]),
      opts,
      dontwait ? undefined : Sockets.blockingTimeout(opts.boardTimeout, FOREVER_MS),
    );
    const data = f.bytes(rsp, 1, 'RECV response');
    if (data.length > max) throw new ProtocolError(`RECV: ${data.length} bytes for a read of ${max}`);
    const src = rsp.get(2);
    return {
      data,
      from: src === undefined ? undefined : parseSockAddr(src, 'RECV response'),
      fullLength: f.optUint(rsp, 3, 'RECV response'),
      flags: f.optUint(rsp, 4, 'RECV response') ?? 0,
    };
  }

  // ------------------------------------------------------------------------------- readiness

  /** zsock_poll: fills each entry's `revents`, resolves with the number of ready entries. */
  async poll(fds: PollFd[], timeoutMs: number, opts: CallOptions = {}): Promise<number> {
    const rsp = await this.call(
      Op.POLL,
      body([[1, fds.map((p) => [p.fd, p.events])], [2, timeoutMs]]),
      opts,
      Sockets.blockingTimeout(timeoutMs, FOREVER_MS),
    );
    const revents = f.array(rsp, 1, 'POLL response');
    if (revents.length !== fds.length || !revents.every((r) => typeof r === 'number')) {
      throw new ProtocolError(`POLL: ${revents.length} revents for ${fds.length} fds`);
    }
    fds.forEach((p, i) => (p.revents = revents[i] as number));
    return f.uint(rsp, 2, 'POLL response');
  }

  /**
   * zsock_select on top of poll (as Zephyr's own select is): read set -> POLLIN, write set ->
   * POLLOUT, except set -> POLLPRI; POLLERR/POLLHUP count as readable, POLLNVAL fails with EBADF.
   * `timeoutMs` null blocks forever.
   */
  async select(readfds: number[] | null, writefds: number[] | null, exceptfds: number[] | null, timeoutMs: number | null, opts: CallOptions = {}): Promise<SelectResult> {
    const events = new Map<number, number>();
    const add = (fds: number[] | null, ev: number) => fds?.forEach((fd) => events.set(fd, (events.get(fd) ?? 0) | ev));
    add(readfds, C.POLLIN);
    add(writefds, C.POLLOUT);
    add(exceptfds, C.POLLPRI);
    const pfds: PollFd[] = [...events].map(([fd, ev]) => ({ fd, events: ev }));
    await this.poll(pfds, timeoutMs ?? -1, opts);
    const out: SelectResult = { count: 0, readfds: [], writefds: [], exceptfds: [] };
    for (const p of pfds) {
      const r = p.revents ?? 0;
      if (r & C.POLLNVAL) throw new InvalidArgumentError('EBADF', `select: fd ${p.fd} is not open`);
      if (readfds?.includes(p.fd) && r & (C.POLLIN | C.POLLERR | C.POLLHUP)) out.readfds.push(p.fd);
      if (writefds?.includes(p.fd) && r & (C.POLLOUT | C.POLLERR)) out.writefds.push(p.fd);
      if (exceptfds?.includes(p.fd) && r & C.POLLPRI) out.exceptfds.push(p.fd);
    }
    out.count = out.readfds.length + out.writefds.length + out.exceptfds.length;
    return out;
  }

  // ------------------------------------------------------------------------------- options & names

  async getsockopt(fd: number, level: number, optname: number, opts?: CallOptions): Promise<SockOptValue> {
    if (level === C.SOL_TLS) this.require('tls', 'getsockopt(SOL_TLS)');
    const rsp = await this.call(Op.GETSOCKOPT, body([[1, fd], [2, level], [3, optname]]), opts);
    return decodeOptionValue(level, optname, rsp.get(1));
  }

  async setsockopt(fd: number, level: number, optname: number, value: SockOptValue, opts?: CallOptions): Promise<void> {
    if (level === C.SOL_TLS) this.require('tls', 'setsockopt(SOL_TLS)');
    const wire = encodeOptionValue(level, optname, value);
    await this.call(Op.SETSOCKOPT, body([[1, fd], [2, level], [3, optname], [4, wire]]), opts);
  }

  async getsockname(fd: number, opts?: CallOptions): Promise<SockAddr> {
    const rsp = await this.call(Op.GETSOCKNAME, body([[1, fd]]), opts);
    return parseSockAddr(rsp.get(1), 'GETSOCKNAME response');
  }

  async getpeername(fd: number, opts?: CallOptions): Promise<SockAddr> {
    const rsp = await this.call(Op.GETPEERNAME, body([[1, fd]]), opts);
    return parseSockAddr(rsp.get(1), 'GETPEERNAME response');
  }

  async gethostname(opts?: CallOptions): Promise<string> {
    return f.text(await this.call(Op.GETHOSTNAME, new Map(), opts), 1, 'GETHOSTNAME response');
  }

  /** Resolves on the board; a resolver failure is a BoardError whose `gaiError` is the DNS_EAI_* code. */
  async getaddrinfo(node: string, service?: string, hints?: AddrInfoHints, opts?: CallOptions): Promise<AddrInfo[]> {
    const h = hints
      ? body([[1, hints.family], [2, hints.socktype], [3, hints.protocol], [4, hints.flags]])
      : undefined;
    const rsp = await this.call(Op.GETADDRINFO, body([[1, node], [2, service], [3, h]]), opts, BLOCKING_DEFAULT_MS);
    return f.array(rsp, 1, 'GETADDRINFO response').map((v, i) => {
      const w = `GETADDRINFO response entry ${i}`;
      if (!(v instanceof Map)) throw new ProtocolError(`${w}: not a map`);
      const m = v as CborMap;
      const ai: AddrInfo = {
        family: f.uint(m, 1, w),
        socktype: f.uint(m, 2, w),
        protocol: f.uint(m, 3, w),
        addr: parseSockAddr(m.get(4), w),
      };
      const canon = f.optText(m, 5, w);
      if (canon !== undefined) ai.canonname = canon;
      return ai;
    });
  }

  /** The board frees its list before answering; on the host this only empties the array. */
  freeaddrinfo(list: AddrInfo[]): void {
    list.length = 0;
  }

  gai_strerror(code: number): string {
    return C.gai_strerror(code);
  }

  async getnameinfo(addr: SockAddr, flags = 0, opts?: CallOptions): Promise<{ host: string; service: string }> {
    const rsp = await this.call(Op.GETNAMEINFO, body([[1, sockaddrBody(addr)], [2, flags || undefined]]), opts, BLOCKING_DEFAULT_MS);
    return { host: f.text(rsp, 1, 'GETNAMEINFO response'), service: f.text(rsp, 2, 'GETNAMEINFO response') };
  }

  // ------------------------------------------------------------------------------- fcntl / ioctl

  /** F_GETFL / F_SETFL (O_NONBLOCK). */
  async fcntl(fd: number, cmd: number, arg?: number, opts?: CallOptions): Promise<number> {
    const rsp = await this.call(Op.FCNTL, body([[1, fd], [2, cmd], [3, arg]]), opts);
    return f.int(rsp, 1, 'FCNTL response');
  }

  /** FIONBIO (arg 0/1) resolves 0; FIONREAD resolves the bytes waiting. */
  async ioctl(fd: number, request: number, arg?: number, opts?: CallOptions): Promise<number> {
    const rsp = await this.call(Op.IOCTL, body([[1, fd], [2, request], [3, arg]]), opts);
    return f.int(rsp, 1, 'IOCTL response');
  }

  // ------------------------------------------------------------------------------- TLS credentials

  /** A PEM string gets its final NUL (mbedTLS wants it); bytes (DER, or PEM with NUL) go as given. */
  async tls_credential_add(tag: number, type: number, credential: Uint8Array | string, opts?: CallOptions): Promise<void> {
    this.require('tls', 'tls_credential_add');
    const data = typeof credential === 'string' ? Buffer.from(`${credential}\0`, 'utf8') : credential;
    await this.call(Op.TLS_CRED_ADD, body([[1, tag], [2, type], [3, data]]), opts);
  }

  async tls_credential_get(tag: number, type: number, opts?: CallOptions): Promise<Uint8Array> {
    this.require('tls', 'tls_credential_get');
    const rsp = await this.call(Op.TLS_CRED_GET, body([[1, tag], [2, type]]), opts);
    return f.bytes(rsp, 1, 'TLS_CRED_GET response');
  }

  async tls_credential_delete(tag: number, type: number, opts?: CallOptions): Promise<void> {
    this.require('tls', 'tls_credential_delete');
    await this.call(Op.TLS_CRED_DEL, body([[1, tag], [2, type]]), opts);
  }
}
