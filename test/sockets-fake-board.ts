/**
 * An in-memory board with a simulated socket layer, for the sockets unit tests only (the HIL suite
 * runs the real firmware). It answers the socket ops with Zephyr's errno values and semantics the
 * host must cope with: short writes (a bounded receive window per connection), MSG_PEEK,
 * MSG_DONTWAIT, MSG_WAITALL, MSG_TRUNC, push mode within credit, EOF, a socket limit, reboots.
 * TCP and UDP run over a loopback between its own sockets (any address reaches the same ports).
 */
import type { Duplex } from 'node:stream';
import type { CborMap, CborValue } from '../src/codec/cbor.js';
import { Kind, type Message, Op, body, decodeMessage, encodeMessage } from '../src/codec/messages.js';
import { SCHEMA_HASH_HEX } from '../src/codec/schema.js';
import { errBody, helloResponseBody } from '../src/codec/session-bodies.js';
import { errnoName, ZEPHYR_ERRNO as E } from '../src/errno.js';
import { Link } from '../src/link/link.js';
import * as C from '../src/sockets/constants.js';

export interface SocketsFakeOptions {
  maxSockets?: number;
  mtu?: number;
  maxData?: number;
  tls?: boolean;
  /** Bytes a connection buffers before the sender gets short writes, then EAGAIN. */
  window?: number;
  /** Largest count one SEND accepts even with room (forces short writes). */
  sendMax?: number;
  /** Zephyr's TCP: shutdown(SHUT_WR) answers ENOTSUP. */
  noHalfClose?: boolean;
  /** Firmware without SOCK_WRITE (answers EOPNOTSUPP, as for any unknown op). */
  noWriteOp?: boolean;
  /** SOCK_WRITE answers leave this much later (in order), like a slow line. */
  writeAnswerDelayMs?: number;
  /** The link window (request slots) the board announces. Default 4. */
  linkWindow?: number;
}

interface Addr {
  family: number;
  addr: Uint8Array;
  port: number;
}

interface FakeSocket {
  fd: number;
  family: number;
  type: number;
  proto: number;
  local?: Addr;
  remote?: Addr;
  listening: boolean;
  backlog: number[];
  peer?: number;
  rx: Buffer[];
  dgrams: { data: Buffer; from: Addr }[];
  /** The peer shut down its writing side or closed. */
  peerDone: boolean;
  eofSent: boolean;
  nonblock: boolean;
  push: boolean;
  credit: number;
  opts: Map<string, CborValue>;
  /** Bytes SOCK_WRITE took, mod 2^32. */
  writeOff: number;
}

let bootSeq = 0;
const LOOPBACK4 = new Uint8Array([127, 0, 0, 1]);

export class SocketsFakeBoard {
  link!: Link;
  bootId = '';
  readonly received: Message[] = [];
  /** Every SOCK_DATA byte pushed per fd, and the credit granted per fd (for backpressure checks). */
  readonly pushed = new Map<number, number>();
  readonly granted = new Map<number, number>();
  /** Largest credit a socket had outstanding at once. */
  maxCreditSeen = 0;
  creditViolations = 0;
  /** The next this-many requests answer EBUSY "all workers busy" (no field), as the bridge does. */
  busyNext = 0;
  /** Errnos the next SENDs fail with, in order (ENOBUFS: Zephyr out of network buffers). */
  readonly sendErrors: number[] = [];
  /** Every SOCK_WRITE: where it was aimed and what it took. */
  readonly writesSeen: { fd: number; offset: number; len: number; taken: number }[] = [];
  /** SOCK_WRITE requests taken and not yet answered; the most at once. */
  writesPending = 0;
  maxWritesPending = 0;
  private writeAnswers: Promise<void> = Promise.resolve();
  private sockets = new Map<number, FakeSocket>();
  private ports = new Map<string, number>();
  private nextPort = 49152;
  private waiters: (() => boolean)[] = [];
  private notifySeq = 0;
  private readonly o: Required<SocketsFakeOptions>;

  constructor(
    readonly transport: Duplex,
    opts: SocketsFakeOptions = {},
  ) {
    this.o = { maxSockets: 8, mtu: 1024, maxData: 512, tls: false, window: 4096, sendMax: 1_000_000, noHalfClose: false, noWriteOp: false, writeAnswerDelayMs: 0, linkWindow: 4, ...opts };
    this.boot();
  }

  private boot(): void {
    this.bootId = (0xf00000 + ++bootSeq).toString(16).padStart(16, '0');
    this.sockets = new Map();
    this.ports = new Map();
    this.waiters = [];
    this.notifySeq = 0;
    this.link = new Link(this.transport, { mtu: this.o.mtu, window: this.o.linkWindow });
    this.link.on('message', (p: Uint8Array) => this.onMessage(p));
  }

  async reboot(): Promise<void> {
    this.link.close();
    this.boot();
    await this.link.reset({ timeoutMs: 5000 }).catch(() => {});
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  close(): void {
    this.link.close();
  }

  // ------------------------------------------------------------------------------ plumbing

  private send(msg: Message): void {
    this.link.send(encodeMessage(msg)).catch(() => {});
  }

  private notify(op: number, b: CborMap): void {
    this.send({ kind: Kind.NTF, op, id: this.notifySeq++, body: b });
  }

  private onMessage(payload: Uint8Array): void {
    const msg = decodeMessage(payload);
    this.received.push(msg);
    if (msg.kind !== Kind.REQ) return;
    const rsp = (b: CborMap = new Map()) => this.send({ kind: Kind.RSP, op: msg.op, id: msg.id, body: b });
    const err = (errno: number, text?: string, gai?: number, field?: number) => {
      const e: Parameters<typeof errBody>[0] = { errno, name: gai === undefined ? errnoName(errno) : C.gai_strerror(gai) };
      if (text !== undefined) e.message = text;
      if (gai !== undefined) e.gaiError = gai;
      if (field !== undefined) e.field = field;
      this.send({ kind: Kind.ERR, op: msg.op, id: msg.id, body: errBody(e) });
    };
    if (this.busyNext > 0 && msg.op !== Op.HELLO) {
      this.busyNext--;
      return this.send({ kind: Kind.ERR, op: msg.op, id: msg.id, body: errBody({ errno: E.EBUSY, name: 'EBUSY', message: 'all workers busy' }) });
    }
    try {
      this.handle(msg, rsp, err);
    } catch (e) {
      err(E.EINVAL, String(e));
    }
  }

  /** Re-runs blocked calls after any state change. */
  private kick(): void {
    this.waiters = this.waiters.filter((w) => !w());
    for (const s of this.sockets.values()) this.pump(s);
  }

  private block(timeoutMs: number, attempt: () => boolean, onTimeout: () => void): void {
    if (attempt()) return;
    if (timeoutMs === 0) return onTimeout();
    let done = false;
    const w = () => {
      if (done) return true;
      if (attempt()) {
        done = true;
        clearTimeout(timer);
      }
      return done;
    };
    const timer = timeoutMs > 0 ? setTimeout(() => { if (!done) { done = true; onTimeout(); } }, timeoutMs) : undefined;
    this.waiters.push(w);
  }

  private key(type: number, port: number): string {
    return `${type}:${port}`;
  }

  private sockaddr(a: Addr): CborMap {
    return body([[1, a.family], [2, a.addr], [3, a.port]]);
  }

  private parseAddr(v: CborValue | undefined): Addr {
    const m = v as CborMap;
    return { family: m.get(1) as number, addr: m.get(2) as Uint8Array, port: (m.get(3) as number | undefined) ?? 0 };
  }

  private rxBytes(s: FakeSocket): number {
    return s.rx.reduce((n, b) => n + b.length, 0);
  }

  private take(s: FakeSocket, max: number, peek: boolean): Buffer {
    const all = Buffer.concat(s.rx);
    const out = all.subarray(0, max);
    if (!peek) s.rx = all.length > max ? [Buffer.from(all.subarray(max))] : [];
    return Buffer.from(out);
  }

  private autoBind(s: FakeSocket): void {
    if (s.local) return;
    let port = this.nextPort++;
    while (this.ports.has(this.key(s.type, port))) port = this.nextPort++;
    s.local = { family: s.family, addr: LOOPBACK4, port };
    this.ports.set(this.key(s.type, port), s.fd);
  }

  /** Push mode: data within credit, then EOF; listeners: ACCEPTABLE when a peer waits. */
  private pump(s: FakeSocket): void {
    if (!s.push) return;
    if (s.listening) return;
    if (s.type === C.SOCK_STREAM) {
      while (s.credit > 0 && this.rxBytes(s) > 0) {
        const chunk = this.take(s, Math.min(s.credit, this.o.maxData), false);
        s.credit -= chunk.length;
        this.pushed.set(s.fd, (this.pushed.get(s.fd) ?? 0) + chunk.length);
        this.notify(Op.SOCK_DATA, body([[1, s.fd], [2, chunk]]));
        this.kick();
      }
      if (s.peerDone && this.rxBytes(s) === 0 && !s.eofSent) {
        s.eofSent = true;
        this.notify(Op.SOCK_EVENT, body([[1, s.fd], [2, 1]]));
      }
    } else {
      while (s.dgrams.length > 0 && (s.dgrams[0] as { data: Buffer }).data.length <= s.credit) {
        const d = s.dgrams.shift() as { data: Buffer; from: Addr };
        s.credit -= d.data.length;
        this.pushed.set(s.fd, (this.pushed.get(s.fd) ?? 0) + d.data.length);
        this.notify(Op.SOCK_DATA, body([[1, s.fd], [2, d.data], [3, this.sockaddr(d.from)]]));
      }
    }
  }

  private get(fd: unknown): FakeSocket {
    const s = typeof fd === 'number' ? this.sockets.get(fd) : undefined;
    if (!s) throw Object.assign(new Error('bad fd'), { errno: E.EBADF });
    return s;
  }

  // ------------------------------------------------------------------------------ ops

  private handle(msg: Message, rsp: (b?: CborMap) => void, err: (errno: number, text?: string, gai?: number, field?: number) => void): void {
    const b = msg.body;
    const fdOf = () => {
      const s = typeof b.get(1) === 'number' ? this.sockets.get(b.get(1) as number) : undefined;
      if (!s) err(E.EBADF, `fd ${String(b.get(1))} is not open`);
      return s;
    };
    switch (msg.op) {
      case Op.HELLO:
        return rsp(
          helloResponseBody({
            version: 1,
            schemaHash: SCHEMA_HASH_HEX,
            mtu: this.o.mtu,
            window: this.o.linkWindow,
            featureBits: (1 << 1) | (1 << 4) | (this.o.tls ? 1 << 2 : 0),
            features: [],
            board: 'fake/sockets',
            zephyrVersion: '4.1.99',
            firmwareVersion: '0.1.0-test',
            bootId: this.bootId,
            limits: { maxSockets: this.o.maxSockets, maxSubscriptions: 4, eventQueue: 8, txQueue: 8, rxBuffer: 2048, maxData: this.o.maxData },
            uptimeMs: 1,
          }),
        );
      case Op.PING:
        return rsp();
      case Op.REBOOT:
        rsp();
        setTimeout(() => void this.reboot(), 10);
        return;
      case Op.SOCKET: {
        const [family, type, proto] = [b.get(1) as number, b.get(2) as number, b.get(3) as number];
        if (family !== C.AF_INET && family !== C.AF_INET6) return err(E.EAFNOSUPPORT);
        if (type !== C.SOCK_STREAM && type !== C.SOCK_DGRAM) return err(E.EPROTOTYPE);
        if (C.isSecureProtocol(proto) && !this.o.tls) return err(E.EPROTONOSUPPORT);
        if (this.sockets.size >= this.o.maxSockets) return err(E.EMFILE, 'bridge socket table full');
        let fd = 0;
        while (this.sockets.has(fd)) fd++;
        this.sockets.set(fd, {
          fd, family, type, proto, listening: false, backlog: [], rx: [], dgrams: [], peerDone: false, eofSent: false,
          nonblock: false, push: false, credit: 0, opts: new Map(), writeOff: 0,
        });
        return rsp(body([[1, fd]]));
      }
      case Op.CLOSE: {
        const s = fdOf();
        if (!s) return;
        this.sockets.delete(s.fd);
        if (s.local) this.ports.delete(this.key(s.type, s.local.port));
        const peer = s.peer !== undefined ? this.sockets.get(s.peer) : undefined;
        if (peer) peer.peerDone = true;
        rsp();
        return this.kick();
      }
      case Op.SHUTDOWN: {
        const s = fdOf();
        if (!s) return;
        const peer = s.peer !== undefined ? this.sockets.get(s.peer) : undefined;
        if (!peer) return err(E.ENOTCONN);
        if (b.get(2) !== C.SHUT_RD && this.o.noHalfClose) return err(E.ENOTSUP);
        if (b.get(2) !== C.SHUT_RD) peer.peerDone = true;
        rsp();
        return this.kick();
      }
      case Op.BIND: {
        const s = fdOf();
        if (!s) return;
        const a = this.parseAddr(b.get(2));
        if (a.family !== s.family) return err(E.EAFNOSUPPORT);
        if (a.port === 0) {
          this.autoBind(s);
          return rsp();
        }
        if (this.ports.has(this.key(s.type, a.port))) return err(E.EADDRINUSE);
        s.local = a;
        this.ports.set(this.key(s.type, a.port), s.fd);
        return rsp();
      }
      case Op.LISTEN: {
        const s = fdOf();
        if (!s) return;
        if (s.type !== C.SOCK_STREAM) return err(E.EOPNOTSUPP);
        s.listening = true;
        return rsp();
      }
      case Op.CONNECT: {
        const s = fdOf();
        if (!s) return;
        const a = this.parseAddr(b.get(2));
        if (a.family !== s.family) return err(E.EAFNOSUPPORT);
        if (s.type === C.SOCK_DGRAM) {
          this.autoBind(s);
          s.remote = a;
          return rsp();
        }
        const lfd = this.ports.get(this.key(C.SOCK_STREAM, a.port));
        const listener = lfd === undefined ? undefined : this.sockets.get(lfd);
        if (!listener?.listening) return err(E.ECONNREFUSED);
        if (this.sockets.size >= this.o.maxSockets) return err(E.ENOMEM);
        this.autoBind(s);
        let fd = 0;
        while (this.sockets.has(fd)) fd++;
        const server: FakeSocket = {
          fd, family: s.family, type: C.SOCK_STREAM, proto: 0, listening: false, backlog: [], rx: [], dgrams: [],
          peerDone: false, eofSent: false, nonblock: false, push: false, credit: 0, opts: new Map(), writeOff: 0, local: a, remote: s.local, peer: s.fd,
        };
        this.sockets.set(fd, server);
        s.peer = fd;
        s.remote = a;
        listener.backlog.push(fd);
        if (listener.push) this.notify(Op.SOCK_EVENT, body([[1, listener.fd], [2, 3]]));
        rsp();
        return this.kick();
      }
      case Op.ACCEPT: {
        const s = fdOf();
        if (!s) return;
        if (!s.listening) return err(E.EINVAL);
        const timeout = (b.get(2) as number | undefined) ?? -1;
        return this.block(
          s.nonblock ? 0 : timeout,
          () => {
            const fd = s.backlog.shift();
            if (fd === undefined) return false;
            const c = this.sockets.get(fd) as FakeSocket;
            rsp(body([[1, fd], [2, this.sockaddr(c.remote as Addr)]]));
            return true;
          },
          () => err(E.EAGAIN),
        );
      }
      case Op.SEND: {
        const s = fdOf();
        if (!s) return;
        const data = b.get(2) as Uint8Array;
        const injected = this.sendErrors.shift();
        if (injected !== undefined) return err(injected);
        if (s.type === C.SOCK_DGRAM) {
          const to = b.has(4) ? this.parseAddr(b.get(4)) : s.remote;
          if (!to) return err(E.EDESTADDRREQ);
          this.autoBind(s);
          const dfd = this.ports.get(this.key(C.SOCK_DGRAM, to.port));
          const dst = dfd === undefined ? undefined : this.sockets.get(dfd);
          if (dst) dst.dgrams.push({ data: Buffer.from(data), from: s.local as Addr });
          rsp(body([[1, data.length]]));
          return this.kick();
        }
        const peer = s.peer !== undefined ? this.sockets.get(s.peer) : undefined;
        if (s.peer === undefined) return err(E.ENOTCONN);
        if (!peer) return err(E.EPIPE);
        const room = this.o.window - this.rxBytes(peer);
        if (room <= 0) return err(E.EAGAIN);
        const n = Math.min(room, data.length, this.o.sendMax);
        peer.rx.push(Buffer.from(data.subarray(0, n)));
        rsp(body([[1, n]]));
        return this.kick();
      }
      case Op.SOCK_WRITE: {
        if (this.o.noWriteOp) return err(E.EOPNOTSUPP);
        const s = fdOf();
        if (!s) return;
        if (s.type !== C.SOCK_STREAM) return err(E.EINVAL, 'SOCK_WRITE is for stream sockets', undefined, 1);
        const data = b.get(2) as Uint8Array;
        let n = 0;
        const peer = s.peer !== undefined ? this.sockets.get(s.peer) : undefined;
        const injected = b.get(3) === s.writeOff ? this.sendErrors.shift() : undefined;
        // The bridge reports Zephyr running out of buffers as "nothing taken", like a full buffer.
        if (injected !== undefined && !([E.ENOBUFS, E.EAGAIN, E.ENOMEM] as number[]).includes(injected)) return err(injected);
        if (injected === undefined && b.get(3) === s.writeOff) {
          if (s.peer === undefined) return err(E.ENOTCONN);
          if (!peer) return err(E.EPIPE);
          n = Math.max(0, Math.min(this.o.window - this.rxBytes(peer), data.length, this.o.sendMax));
          if (n > 0) peer.rx.push(Buffer.from(data.subarray(0, n)));
        }
        s.writeOff = (s.writeOff + n) >>> 0;
        this.writesSeen.push({ fd: s.fd, offset: b.get(3) as number, len: data.length, taken: n });
        this.writesPending++;
        this.maxWritesPending = Math.max(this.maxWritesPending, this.writesPending);
        // Answers go out in arrival order after a delay: requests sent meanwhile pile up here.
        const answer = body([[1, n], [2, s.writeOff]]);
        this.writeAnswers = this.writeAnswers.then(async () => {
          if (this.o.writeAnswerDelayMs > 0) await new Promise((r) => setTimeout(r, this.o.writeAnswerDelayMs));
          this.writesPending--;
          rsp(answer);
        });
        return this.kick();
      }
      case Op.RECV: {
        const s = fdOf();
        if (!s) return;
        if (s.push) return err(E.EBUSY, 'socket is in push mode: data arrives as SOCK_DATA', undefined, 1);
        const max = b.get(2) as number;
        const flags = (b.get(3) as number | undefined) ?? 0;
        const wantFrom = b.get(4) === true;
        const timeout = s.nonblock || flags & C.MSG_DONTWAIT ? 0 : ((b.get(5) as number | undefined) ?? -1);
        const peek = (flags & C.MSG_PEEK) !== 0;
        if (s.type === C.SOCK_DGRAM) {
          return this.block(
            timeout,
            () => {
              const d = peek ? s.dgrams[0] : s.dgrams.shift();
              if (!d) return false;
              const cut = d.data.length > max;
              rsp(
                body([
                  [1, Buffer.from(d.data.subarray(0, max))],
                  [2, wantFrom ? this.sockaddr(d.from) : undefined],
                  [3, cut && flags & C.MSG_TRUNC ? d.data.length : undefined],
                  [4, cut ? C.MSG_TRUNC : undefined],
                ]),
              );
              return true;
            },
            () => err(E.EAGAIN),
          );
        }
        const waitall = (flags & C.MSG_WAITALL) !== 0 && !peek;
        return this.block(
          timeout,
          () => {
            const have = this.rxBytes(s);
            if (have === 0 && !s.peerDone) return false;
            if (waitall && have < max && !s.peerDone) return false;
            rsp(body([[1, this.take(s, max, peek)]]));
            this.kick();
            return true;
          },
          () => err(E.EAGAIN),
        );
      }
      case Op.POLL: {
        const list = b.get(1) as [number, number][];
        const timeout = b.get(2) as number;
        const evaluate = () => {
          const rev = list.map(([fd, ev]) => {
            const s = this.sockets.get(fd);
            if (!s) return C.POLLNVAL;
            let r = 0;
            const readable = s.listening ? s.backlog.length > 0 : this.rxBytes(s) > 0 || s.dgrams.length > 0 || s.peerDone;
            if (readable) r |= C.POLLIN;
            const peer = s.peer !== undefined ? this.sockets.get(s.peer) : undefined;
            if (s.type === C.SOCK_DGRAM || (peer && this.rxBytes(peer) < this.o.window)) r |= C.POLLOUT;
            return r & (ev | C.POLLNVAL | C.POLLERR | C.POLLHUP);
          });
          return rev;
        };
        return this.block(
          timeout,
          () => {
            const rev = evaluate();
            const n = rev.filter((r) => r !== 0).length;
            if (n === 0) return false;
            rsp(body([[1, rev], [2, n]]));
            return true;
          },
          () => rsp(body([[1, evaluate()], [2, 0]])),
        );
      }
      case Op.GETSOCKOPT: {
        const s = fdOf();
        if (!s) return;
        const [level, name] = [b.get(2) as number, b.get(3) as number];
        if (level === C.SOL_SOCKET && name === C.SO_TYPE) return rsp(body([[1, s.type]]));
        if (level === C.SOL_SOCKET && name === C.SO_ERROR) return rsp(body([[1, 0]]));
        const v = s.opts.get(`${level}:${name}`);
        if (v === undefined) return err(E.ENOPROTOOPT);
        return rsp(body([[1, v]]));
      }
      case Op.SETSOCKOPT: {
        const s = fdOf();
        if (!s) return;
        const level = b.get(2) as number;
        if (![C.SOL_SOCKET, C.IPPROTO_TCP, C.IPPROTO_IP, C.IPPROTO_IPV6, C.SOL_TLS].includes(level)) return err(E.ENOPROTOOPT);
        s.opts.set(`${level}:${b.get(3) as number}`, b.get(4) as CborValue);
        return rsp();
      }
      case Op.GETSOCKNAME:
      case Op.GETPEERNAME: {
        const s = fdOf();
        if (!s) return;
        const a = msg.op === Op.GETSOCKNAME ? s.local : s.remote;
        if (!a) return err(msg.op === Op.GETSOCKNAME ? E.EINVAL : E.ENOTCONN);
        return rsp(body([[1, this.sockaddr(a)]]));
      }
      case Op.GETHOSTNAME:
        return rsp(body([[1, 'fake-board']]));
      case Op.GETADDRINFO: {
        const node = b.get(1) as string;
        const addr = node === 'localhost' ? LOOPBACK4 : /^\d+\.\d+\.\d+\.\d+$/.test(node) ? new Uint8Array(node.split('.').map(Number)) : undefined;
        if (!addr) return err(0, `${node}: not found`, C.EAI.EAI_NONAME);
        return rsp(body([[1, [body([[1, C.AF_INET], [2, C.SOCK_STREAM], [3, C.IPPROTO_TCP], [4, body([[1, C.AF_INET], [2, addr], [3, 0]])]])]]]));
      }
      case Op.GETNAMEINFO: {
        const a = this.parseAddr(b.get(1));
        return rsp(body([[1, Array.from(a.addr).join('.')], [2, String(a.port)]]));
      }
      case Op.FCNTL: {
        const s = fdOf();
        if (!s) return;
        if (b.get(2) === C.F_GETFL) return rsp(body([[1, s.nonblock ? C.O_NONBLOCK : 0]]));
        if (b.get(2) === C.F_SETFL) {
          s.nonblock = (((b.get(3) as number | undefined) ?? 0) & C.O_NONBLOCK) !== 0;
          return rsp(body([[1, 0]]));
        }
        return err(E.EINVAL);
      }
      case Op.IOCTL: {
        const s = fdOf();
        if (!s) return;
        if (b.get(2) === C.FIONREAD) return rsp(body([[1, this.rxBytes(s)]]));
        if (b.get(2) === C.FIONBIO) {
          s.nonblock = b.get(3) !== 0;
          return rsp(body([[1, 0]]));
        }
        return err(E.EINVAL);
      }
      case Op.SOCK_STREAM: {
        const s = fdOf();
        if (!s) return;
        const credit = b.get(2) as number;
        s.push = true;
        s.credit += credit;
        this.granted.set(s.fd, (this.granted.get(s.fd) ?? 0) + credit);
        this.maxCreditSeen = Math.max(this.maxCreditSeen, s.credit);
        rsp();
        if (s.listening && s.backlog.length > 0) this.notify(Op.SOCK_EVENT, body([[1, s.fd], [2, 3]]));
        return this.kick();
      }
      default:
        return err(E.EOPNOTSUPP);
    }
  }
}
