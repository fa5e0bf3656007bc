/**
 * A small in-memory board for unit tests only: runs the same Link as the host and answers the
 * session ops plus a fake IFACE_DUMP, with knobs to misbehave (wrong schema, silence, errors,
 * reboots). The real board is the Zephyr firmware; the HIL suite tests against that.
 */
import type { Duplex } from 'node:stream';
import type { CborMap } from '../../src/codec/cbor.js';
import { Kind, type Message, Op, decodeMessage, encodeMessage } from '../../src/codec/messages.js';
import { SCHEMA_HASH_HEX } from '../../src/codec/schema.js';
import {
  type HelloInfo,
  doneBody,
  errBody,
  helloResponseBody,
  parseHelloRequest,
  statsResponseBody,
} from '../../src/codec/session-bodies.js';
import { Link, type LinkOptions } from '../../src/link/link.js';

export interface FakeBoardOptions {
  schemaHash?: string;
  /** Answer HELLO with this ERR (an old or broken firmware). */
  helloError?: { errno: number; name: string; message: string };
  version?: number;
  mtu?: number;
  window?: number;
  link?: LinkOptions;
  /** Ops the board receives but never answers. */
  silentOps?: Set<number>;
  /** Ops answered after this many ms. */
  delayMs?: Map<number, number>;
  /** Number of interfaces IFACE_DUMP reports. */
  interfaces?: number;
  /** Whether the next dumps report `interrupted`. */
  dumpInterrupted?: boolean;
}

let bootCounter = 0;

export class FakeBoard {
  link: Link;
  bootId = FakeBoard.newBootId();
  readonly received: Message[] = [];
  helloCount = 0;
  lastHelloMtu = 0;
  malformed = 0;
  private notifySeq = 0;
  private bootedAt = Date.now();

  constructor(
    readonly transport: Duplex,
    readonly opts: FakeBoardOptions = {},
  ) {
    this.link = this.makeLink();
  }

  static newBootId(): string {
    bootCounter++;
    return (0x1000 + bootCounter).toString(16).padStart(16, 'b');
  }

  private makeLink(): Link {
    const link = new Link(this.transport, { mtu: this.opts.mtu ?? 1024, window: this.opts.window ?? 4, ...this.opts.link });
    link.on('message', (payload: Uint8Array) => this.onMessage(payload));
    return link;
  }

  /** Simulates a cold boot: new boot id, fresh link state, RST to the host. */
  async reboot(): Promise<void> {
    this.link.close();
    this.bootId = FakeBoard.newBootId();
    this.notifySeq = 0;
    this.bootedAt = Date.now();
    this.link = this.makeLink();
    await this.link.reset({ timeoutMs: 5000 }).catch(() => {});
  }

  /** Sends an NTF with the next notification sequence number. */
  notify(op: number, body: CborMap): Promise<void> {
    return this.send({ kind: Kind.NTF, op, id: this.notifySeq++, body });
  }

  send(msg: Message): Promise<void> {
    return this.link.send(encodeMessage(msg)).catch(() => {});
  }

  info(): HelloInfo {
    return {
      version: this.opts.version ?? 1,
      schemaHash: this.opts.schemaHash ?? SCHEMA_HASH_HEX,
      mtu: this.opts.mtu ?? 1024,
      window: this.opts.window ?? 4,
      featureBits: 0b11,
      features: ['events', 'sockets'],
      board: 'fake/board',
      zephyrVersion: '4.1.99',
      firmwareVersion: '0.1.0-test',
      bootId: this.bootId,
      limits: { maxSockets: 8, maxSubscriptions: 4, eventQueue: 16, txQueue: 8, rxBuffer: 2048, maxData: 512 },
      uptimeMs: Date.now() - this.bootedAt,
    };
  }

  private onMessage(payload: Uint8Array): void {
    let msg: Message;
    try {
      msg = decodeMessage(payload);
    } catch {
      this.malformed++;
      return;
    }
    this.received.push(msg);
    if (msg.kind !== Kind.REQ || this.opts.silentOps?.has(msg.op)) return;
    const delay = this.opts.delayMs?.get(msg.op);
    if (delay !== undefined) setTimeout(() => this.answer(msg), delay);
    else this.answer(msg);
  }

  private rsp(req: Message, body: CborMap = new Map()): void {
    void this.send({ kind: Kind.RSP, op: req.op, id: req.id, body });
  }

  private err(req: Message, errno: number, name: string, message?: string, field?: number): void {
    const e: Parameters<typeof errBody>[0] = { errno, name };
    if (message !== undefined) e.message = message;
    if (field !== undefined) e.field = field;
    void this.send({ kind: Kind.ERR, op: req.op, id: req.id, body: errBody(e) });
  }

  private answer(req: Message): void {
    switch (req.op) {
      case Op.HELLO: {
        this.helloCount++;
        if (this.opts.helloError) {
          const e = this.opts.helloError;
          return this.err(req, e.errno, e.name, e.message);
        }
        try {
          this.lastHelloMtu = parseHelloRequest(req.body).mtu;
        } catch {
          return this.err(req, 22, 'EINVAL', 'bad HELLO');
        }
        return this.rsp(req, helloResponseBody(this.info()));
      }
      case Op.PING:
        return this.rsp(req, req.body.has(1) ? new Map([[1, req.body.get(1) as Uint8Array]]) : new Map());
      case Op.STATS: {
        const c = this.link.counters();
        return this.rsp(
          req,
          statsResponseBody({
            framesIn: c.framesIn,
            framesOut: c.framesOut,
            crcErrors: c.crcErrors,
            garbageBytes: c.garbageBytes,
            retransmits: c.retransmits,
            duplicates: c.duplicates,
            resyncs: c.resyncs,
            malformed: c.malformedFrames + this.malformed,
          }),
        );
      }
      case Op.SINK: {
        const data = req.body.get(1);
        return this.rsp(req, new Map([[1, data instanceof Uint8Array ? data.length : 0]]));
      }
      case Op.REBOOT:
        this.rsp(req);
        setTimeout(() => void this.reboot(), 20);
        return;
      case Op.IFACE_DUMP: {
        const n = this.opts.interfaces ?? 2;
        for (let i = 1; i <= n; i++) {
          void this.send({ kind: Kind.ITEM, op: req.op, id: req.id, body: new Map<number, string | number>([[1, i], [2, `eth${i - 1}`]]) });
        }
        void this.send({ kind: Kind.DONE, op: req.op, id: req.id, body: doneBody({ count: n, interrupted: this.opts.dumpInterrupted ?? false }) });
        return;
      }
      case Op.IFACE_UP: {
        const ifindex = req.body.get(1);
        if (typeof ifindex !== 'number') return this.err(req, 22, 'EINVAL', 'ifindex missing', 1);
        if (ifindex > (this.opts.interfaces ?? 2)) return this.err(req, 19, 'ENODEV', `ifindex ${ifindex}: no such interface`, 1);
        return this.rsp(req);
      }
      default:
        return this.err(req, 95, 'EOPNOTSUPP');
    }
  }

  close(): void {
    this.link.close();
  }
}
