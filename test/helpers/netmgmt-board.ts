/**
 * The net_mgmt side of the in-memory fake board, for unit tests only: interfaces with addresses,
 * the board's subscription filter with Zephyr's (lossy, superset) mask semantics, events raised by
 * requests or by the test, a bounded event queue that drops and reports OVERRUN, and dumps that can
 * be made to report "interrupted". Session ops are answered by FakeBoard; this answers 0x10-0x1a.
 */
import type { CborMap, CborValue } from '../../src/codec/cbor.js';
import { Kind, type Message, Op, body, decodeMessage } from '../../src/codec/messages.js';
import { doneBody, errBody, overrunBody } from '../../src/codec/session-bodies.js';
import { formatAddress, parseAddress } from '../../src/netmgmt/addr.js';
import { type EventInfo, eventInfoBody, parseSubscribeBody } from '../../src/netmgmt/bodies.js';
import {
  type EventLayout,
  NET_EVENT_HOSTNAME_CHANGED,
  NET_EVENT_IF_ADMIN_DOWN,
  NET_EVENT_IF_ADMIN_UP,
  NET_EVENT_IF_DOWN,
  NET_EVENT_IF_UP,
  NET_EVENT_IPV4_ADDR_ADD,
  NET_EVENT_IPV4_ADDR_DEL,
  NET_EVENT_IPV4_DHCP_START,
  NET_EVENT_IPV4_DHCP_STOP,
  NET_EVENT_IPV6_ADDR_ADD,
  NET_EVENT_IPV6_ADDR_DEL,
  masksForLayout,
  zephyrMaskMatches,
} from '../../src/netmgmt/codes.js';
import { FakeBoard } from './fake-board.js';

export interface FakeAddr {
  family: 4 | 6;
  bytes: Uint8Array;
  prefixLen: number;
  state: number;
  origin: number;
}

export interface FakeIface {
  index: number;
  name: string;
  l2: string;
  mtu: number;
  flags: number;
  linkAddr: Uint8Array;
  addrs: FakeAddr[];
  hostname?: string;
}

const NET_MGMT_OPS = [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a];

export function defaultInterfaces(): FakeIface[] {
  return [
    { index: 1, name: 'lo', l2: 'DUMMY', mtu: 576, flags: 0b11111, linkAddr: new Uint8Array(), addrs: [
      { family: 4, bytes: parseAddress('127.0.0.1').bytes, prefixLen: 8, state: 1, origin: 0 },
      { family: 6, bytes: parseAddress('::1').bytes, prefixLen: 128, state: 1, origin: 0 },
    ] },
    { index: 2, name: 'eth0', l2: 'ETHERNET', mtu: 1500, flags: 0b11011, linkAddr: Uint8Array.from([2, 0, 0, 0x11, 0x22, 0x33]), addrs: [
      { family: 6, bytes: parseAddress('fe80::11:22ff:fe33:4455').bytes, prefixLen: 64, state: 1, origin: 1 },
    ] },
  ];
}

export class NetMgmtBoard {
  ifaces = new Map<number, FakeIface>();
  hostname = 'fake';
  /** The board's filter, as the host last set it (board layout). */
  masks: bigint[] = [];
  readonly subscribeLog: bigint[][] = [];
  layout: EventLayout = '64';
  /** Events sent before the subscribe RSP (to test the wait race). */
  raiseBeforeSubscribeRsp: { code: bigint; ifindex: number; info?: EventInfo } | undefined;
  /** Dumps report interrupted this many more times. */
  interruptDumps = 0;
  dumpCount = 0;
  /** Bounded queue: events beyond it while `congested` are dropped and reported later. */
  queueLimit = 16;
  congested = false;
  private queued: CborMap[] = [];
  private droppedSince = 0;
  private droppedTotal = 0;
  /** NET_MGMT request codes the board registered: code -> reply. */
  readonly registered = new Map<bigint, (data: Uint8Array | undefined) => Uint8Array | undefined>();

  constructor(readonly board: FakeBoard) {
    for (const i of defaultInterfaces()) this.ifaces.set(i.index, i);
    for (const op of NET_MGMT_OPS) board.opts.silentOps?.add(op);
    this.attach();
  }

  static silentOps(): Set<number> {
    return new Set(NET_MGMT_OPS);
  }

  /** Call after board.reboot(): the net_mgmt state of a fresh boot. */
  afterReboot(): void {
    this.masks = [];
    this.queued = [];
    this.droppedSince = 0;
    this.attach();
  }

  private attach(): void {
    this.board.link.on('message', (payload: Uint8Array) => {
      let msg: Message;
      try {
        msg = decodeMessage(payload);
      } catch {
        return;
      }
      if (msg.kind === Kind.REQ && NET_MGMT_OPS.includes(msg.op)) this.answer(msg);
    });
  }

  private code(c: bigint): bigint {
    const m = masksForLayout(c, this.layout);
    return m[0] as bigint;
  }

  /** Raises an event on the board: forwarded only when the board's filter lets it through. */
  raise(code64: bigint, ifindex: number, info?: EventInfo): boolean {
    const code = this.code(code64);
    if (!this.masks.some((m) => zephyrMaskMatches(code, m, this.layout))) return false;
    const b = body([
      [1, code],
      [2, ifindex],
      [3, 1234],
      [4, info ? eventInfoBody(info, (s) => parseAddress(s).bytes) : undefined],
    ]);
    if (this.congested) {
      if (this.queued.length < this.queueLimit) this.queued.push(b);
      else {
        this.droppedSince++;
        this.droppedTotal++;
      }
      return true;
    }
    void this.board.notify(Op.EVENT, b);
    return true;
  }

  /** Ends congestion: sends what was queued, then OVERRUN for what was dropped. */
  async drain(): Promise<void> {
    this.congested = false;
    const q = this.queued.splice(0);
    await Promise.all(q.map((b) => this.board.notify(Op.EVENT, b)));
    if (this.droppedSince > 0) {
      const count = this.droppedSince;
      this.droppedSince = 0;
      await this.board.notify(Op.OVERRUN, overrunBody({ whatCode: 1, count, total: this.droppedTotal }));
    }
  }

  /** Changes state without any event (what a lost event looks like). */
  silently(fn: (b: NetMgmtBoard) => void): void {
    fn(this);
  }

  addAddr(ifindex: number, text: string, prefixLen?: number, raise = true): void {
    const a = parseAddress(text);
    const i = this.ifaces.get(ifindex);
    if (!i) throw new Error(`no iface ${ifindex}`);
    i.addrs.push({ family: a.family, bytes: a.bytes, prefixLen: prefixLen ?? a.prefixLen ?? (a.family === 4 ? 24 : 64), state: 1, origin: 0 });
    if (raise) this.raise(a.family === 4 ? NET_EVENT_IPV4_ADDR_ADD : NET_EVENT_IPV6_ADDR_ADD, ifindex, { family: a.family, address: formatAddress(a.bytes) });
  }

  delAddr(ifindex: number, text: string, raise = true): boolean {
    const a = parseAddress(text);
    const i = this.ifaces.get(ifindex);
    if (!i) return false;
    const n = i.addrs.findIndex((x) => Buffer.compare(x.bytes, a.bytes) === 0);
    if (n === -1) return false;
    i.addrs.splice(n, 1);
    if (raise) this.raise(a.family === 4 ? NET_EVENT_IPV4_ADDR_DEL : NET_EVENT_IPV6_ADDR_DEL, ifindex, { family: a.family, address: formatAddress(a.bytes) });
    return true;
  }

  private send(req: Message, kind: number, b: CborMap): void {
    void this.board.send({ kind: kind as Message['kind'], op: req.op, id: req.id, body: b });
  }

  private err(req: Message, errno: number, name: string, message?: string): void {
    this.send(req, Kind.ERR, errBody(message === undefined ? { errno, name } : { errno, name, message }));
  }

  private item(i: FakeIface): CborMap {
    const addrs: CborValue[] = i.addrs.map((a) => body([[1, a.family], [2, a.bytes], [3, a.prefixLen], [4, a.state], [5, a.origin]]));
    return body([
      [1, i.index],
      [2, i.name],
      [3, i.l2],
      [4, i.mtu],
      [5, i.flags],
      [6, i.linkAddr],
      [7, addrs],
      [8, []],
      [9, i.hostname ?? this.hostname],
    ]);
  }

  private iface(req: Message): FakeIface | undefined {
    const idx = req.body.get(1);
    const i = typeof idx === 'number' ? this.ifaces.get(idx) : undefined;
    if (!i) this.err(req, 19, 'ENODEV', `ifindex ${String(idx)}: no such interface`);
    return i;
  }

  private answer(req: Message): void {
    switch (req.op) {
      case Op.EVT_SUBSCRIBE: {
        this.masks = parseSubscribeBody(req.body);
        this.subscribeLog.push([...this.masks]);
        const early = this.raiseBeforeSubscribeRsp;
        this.raiseBeforeSubscribeRsp = undefined;
        if (early) this.raise(early.code, early.ifindex, early.info);
        return this.send(req, Kind.RSP, new Map());
      }
      case Op.IFACE_DUMP: {
        this.dumpCount++;
        const only = req.body.get(1);
        const list = [...this.ifaces.values()].filter((i) => only === undefined || i.index === only);
        if (only !== undefined && list.length === 0) return this.err(req, 19, 'ENODEV');
        for (const i of list) this.send(req, Kind.ITEM, this.item(i));
        const interrupted = this.interruptDumps > 0;
        if (interrupted) this.interruptDumps--;
        return this.send(req, Kind.DONE, doneBody({ count: list.length, interrupted }));
      }
      case Op.IFACE_UP:
      case Op.IFACE_DOWN: {
        const i = this.iface(req);
        if (!i) return;
        const up = req.op === Op.IFACE_UP;
        if (up === ((i.flags & 1) === 1)) return this.err(req, up ? 120 : 114, up ? 'EALREADY' : 'EALREADY');
        i.flags = up ? i.flags | 0b11 : i.flags & ~0b11;
        this.send(req, Kind.RSP, new Map());
        this.raise(up ? NET_EVENT_IF_ADMIN_UP : NET_EVENT_IF_ADMIN_DOWN, i.index);
        this.raise(up ? NET_EVENT_IF_UP : NET_EVENT_IF_DOWN, i.index);
        return;
      }
      case Op.ADDR_ADD:
      case Op.ADDR_DEL: {
        const i = this.iface(req);
        if (!i) return;
        const bytes = req.body.get(2);
        if (!(bytes instanceof Uint8Array) || (bytes.length !== 4 && bytes.length !== 16)) return this.err(req, 22, 'EINVAL', 'bad address');
        const text = formatAddress(bytes);
        if (req.op === Op.ADDR_ADD) {
          const plen = req.body.get(3);
          this.addAddr(i.index, text, typeof plen === 'number' ? plen : undefined);
        } else if (!this.delAddr(i.index, text)) return this.err(req, 2, 'ENOENT', `${text} is not on ${i.name}`);
        return this.send(req, Kind.RSP, new Map());
      }
      case Op.DHCPV4_START:
      case Op.DHCPV4_STOP: {
        const i = this.iface(req);
        if (!i) return;
        this.send(req, Kind.RSP, new Map());
        this.raise(req.op === Op.DHCPV4_START ? NET_EVENT_IPV4_DHCP_START : NET_EVENT_IPV4_DHCP_STOP, i.index);
        return;
      }
      case Op.HOSTNAME_SET: {
        const name = req.body.get(1);
        if (typeof name !== 'string' || name.length === 0) return this.err(req, 22, 'EINVAL');
        this.hostname = name;
        this.send(req, Kind.RSP, new Map());
        this.raise(NET_EVENT_HOSTNAME_CHANGED, 0, { hostname: name });
        return;
      }
      case Op.NET_MGMT: {
        const code = req.body.get(1);
        const handler = typeof code === 'number' || typeof code === 'bigint' ? this.registered.get(BigInt(code)) : undefined;
        if (!handler) return this.err(req, 134, 'ENOTSUP', 'request code not registered');
        const data = req.body.get(3);
        const out = handler(data instanceof Uint8Array ? data : undefined);
        return this.send(req, Kind.RSP, body([[1, out]]));
      }
      default:
        return this.err(req, 95, 'EOPNOTSUPP');
    }
  }
}
