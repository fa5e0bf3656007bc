/**
 * The session (PROTOCOL.md §2): HELLO handshake over a reset link, requests correlated by id and
 * pipelined, dumps, notifications, heartbeat, and automatic re-handshake after a peer reset or a
 * dead link, with reboot detection by boot id.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { CborMap } from '../codec/cbor.js';
import { DUMP_OPS, Kind, type Message, Op, decodeMessage, encodeMessage, opName } from '../codec/messages.js';
import { PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN, SCHEMA_HASH, SCHEMA_HASH_HEX } from '../codec/schema.js';
import {
  type BoardStats,
  type HelloInfo,
  type LogLine,
  type Overrun,
  helloRequestBody,
  parseDone,
  parseErrBody,
  parseHelloResponse,
  parseLog,
  parseOverrun,
  parsePingBody,
  parseSinkResponse,
  parseStatsResponse,
  pingBody,
  sinkRequestBody,
} from '../codec/session-bodies.js';
import {
  AbortError,
  BoardError,
  BoardRebootedError,
  ClosedError,
  LinkDownError,
  LinkResetError,
  NetbridgeError,
  PortError,
  ProtocolError,
  QueueFullError,
  SchemaMismatchError,
  TimeoutError,
  VersionMismatchError,
} from '../errors.js';
import { DEFAULT_MTU } from '../framing/frame.js';
import { Link, type LinkOptions } from '../link/link.js';
import { closeTransport, openSerialPort, serialLineRate } from '../transport/serial.js';

export interface ClientOptions {
  /** Serial port or pty to open (ignored when `transport` is given). */
  path?: string;
  /**
   * The UART's baud rate (8N1). With `path`: the port is opened at it (default 115200) and, unless
   * the path is a pty, the link floors its retransmission timeouts by the line time of what is
   * queued (LinkOptions.lineRate = baudRate / 10). With `transport`: the rate of the UART behind
   * it (a TCP bridge, a proxy), for the same purpose; omit it when unknown.
   */
  baudRate?: number;
  /** An already open Duplex carrying the line (memory pair, TCP socket, ...). */
  transport?: Duplex;
  /** Default timeout per request and for the initial handshake, ms. Default 5000. */
  timeout?: number;
  /** PING after this long without traffic; 0 disables. Default 2000. */
  heartbeatMs?: number;
  /** Largest DATA payload the host accepts (told to the board in HELLO). Default 1024. */
  mtu?: number;
  /** Host receive window in frames. Default 8. */
  window?: number;
  /** Requests pending or waiting for the session, at most. Default 1024. */
  maxPending?: number;
  /** ITEMs kept per dump, at most. Default 4096. */
  maxDumpItems?: number;
  /** Re-handshake automatically after a peer reset or a dead link. Default true. */
  reconnect?: boolean;
  /** Link tuning (RTO bounds, retries, queue size, clock; lineRate overrides baudRate's). */
  link?: Omit<LinkOptions, 'mtu' | 'window'>;
}

export interface RequestOptions {
  timeout?: number;
  signal?: AbortSignal;
}

export interface DumpResult {
  items: CborMap[];
  interrupted: boolean;
}

export interface PingResult {
  data: Uint8Array;
  rttMs: number;
}

export interface ClientCounters {
  framesIn: number;
  framesOut: number;
  crcErrors: number;
  garbageBytes: number;
  retransmits: number;
  duplicates: number;
  outOfOrder: number;
  /** Frames with a bad version/type plus DATA payloads that were not a valid message. */
  malformed: number;
  messagesIn: number;
  messagesOut: number;
  notifications: number;
  notificationGaps: number;
  /** Sum of the counts the board reported in OVERRUN notifications. */
  overruns: number;
  resyncs: number;
  peerResets: number;
  reconnects: number;
  reboots: number;
  linkDowns: number;
  timeouts: number;
  aborts: number;
  lateResponses: number;
  heartbeats: number;
  heartbeatFailures: number;
  txQueueHighWater: number;
  txQueueDrops: number;
  pendingHighWater: number;
  dumpItemsDropped: number;
  srttMs: number;
  rtoMs: number;
  /** Bytes/s the link's timeouts assume the line carries; 0 when unknown. */
  lineRate: number;
}

type SessionState = 'connecting' | 'ready' | 'reconnecting' | 'closed';

interface Pending {
  id: number;
  op: number;
  dump: boolean;
  items: CborMap[];
  timeoutMs: number;
  timer: NodeJS.Timeout | undefined;
  /** The request frame was acknowledged by the board's link layer. */
  acked: boolean;
  sent: boolean;
  payload: Uint8Array;
  resolve: (v: CborMap | DumpResult) => void;
  reject: (e: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** MTUs a peer may announce in HELLO (PROTOCOL.md §2.6); anything else is refused, not retried. */
const MIN_PEER_MTU = 64;
const MAX_PEER_MTU = 65_535;

/** A HELLO whose sizes are absurd: a ProtocolError that ends the handshake at once. */
class PeerLimitsError extends ProtocolError {}

/** Request id 0 is reserved for HELLO. */
const HELLO_ID = 0;
const RECONNECT_BACKOFF_MIN_MS = 50;
const RECONNECT_BACKOFF_MAX_MS = 2000;

export class Client extends EventEmitter {
  private sessionState: SessionState = 'connecting';
  private hello: HelloInfo | undefined;
  private readonly link: Link;
  private readonly timeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly maxPending: number;
  private readonly maxDumpItems: number;
  private readonly autoReconnect: boolean;
  private readonly pending = new Map<number, Pending>();
  /** Requests issued while the session is (re)connecting; sent in order once it is ready. */
  private readonly waiting: Pending[] = [];
  private nextId = 1;
  private lastNotificationId: number | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatInFlight = false;
  private lastActivity = performance.now();
  private reconnectLoop: Promise<void> | undefined;
  private readonly c = {
    malformedMessages: 0,
    messagesIn: 0,
    messagesOut: 0,
    notifications: 0,
    notificationGaps: 0,
    overruns: 0,
    reconnects: 0,
    reboots: 0,
    linkDowns: 0,
    timeouts: 0,
    aborts: 0,
    lateResponses: 0,
    heartbeats: 0,
    heartbeatFailures: 0,
    pendingHighWater: 0,
    dumpItemsDropped: 0,
  };

  private constructor(
    private readonly transport: Duplex,
    private readonly ownsTransport: boolean,
    opts: ClientOptions,
  ) {
    super();
    this.timeoutMs = opts.timeout ?? 5000;
    this.heartbeatMs = opts.heartbeatMs ?? 2000;
    this.maxPending = opts.maxPending ?? 1024;
    this.maxDumpItems = opts.maxDumpItems ?? 4096;
    this.autoReconnect = opts.reconnect ?? true;
    this.link = new Link(transport, {
      sendQueueLimit: this.maxPending,
      ...opts.link,
      mtu: opts.mtu ?? DEFAULT_MTU,
      window: opts.window ?? 8,
    });
    this.link.on('message', (payload: Uint8Array) => this.onMessage(payload));
    this.link.on('activity', () => (this.lastActivity = performance.now()));
    this.link.on('peer-reset', () => this.onPeerReset());
    this.link.on('down', (err: LinkDownError) => this.onLinkDown(err));
    this.link.on('transport-close', () => this.onTransportGone(new PortError('the transport closed')));
    this.link.on('transport-error', (err: Error) =>
      this.onTransportGone(new PortError(`transport error: ${err.message}`, { cause: err })),
    );
  }

  /** Opens the port (or takes `transport`), resets the link and completes HELLO. */
  static async open(opts: ClientOptions = {}): Promise<Client> {
    let transport = opts.transport;
    const owns = transport === undefined;
    if (!transport) {
      if (!opts.path) throw new PortError('Client.open needs a path or a transport');
      transport = await openSerialPort(opts.path, opts.baudRate === undefined ? {} : { baudRate: opts.baudRate });
    }
    const lineRate =
      opts.link?.lineRate ??
      (owns ? serialLineRate(opts.path as string, opts.baudRate) : opts.baudRate === undefined ? undefined : opts.baudRate / 10);
    const client = new Client(transport, owns, lineRate === undefined ? opts : { ...opts, link: { ...opts.link, lineRate } });
    try {
      await client.connect();
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  /** The board's HELLO facts (latest handshake). */
  get info(): HelloInfo {
    if (!this.hello) throw new ClosedError('no session established');
    return this.hello;
  }

  get state(): SessionState {
    return this.sessionState;
  }

  // ------------------------------------------------------------------------------ handshake

  private async connect(): Promise<void> {
    const deadline = performance.now() + this.timeoutMs;
    let lastError: Error = new TimeoutError(`no HELLO answer within ${this.timeoutMs} ms`);
    while (performance.now() < deadline && this.sessionState !== 'closed') {
      try {
        this.hello = await this.handshake(false, Math.max(1, deadline - performance.now()));
        this.becomeReady();
        return;
      } catch (err) {
        if (isFatalHandshakeError(err)) throw err;
        lastError = err as Error;
      }
    }
    if (this.sessionState === 'closed') throw new ClosedError();
    throw lastError instanceof TimeoutError ? lastError : new TimeoutError(`handshake failed: ${lastError.message}`);
  }

  /** Link reset (unless the peer just did one), then HELLO; validates version and schema. */
  private async handshake(linkAlreadyReset: boolean, timeoutMs: number): Promise<HelloInfo> {
    const started = performance.now();
    if (!linkAlreadyReset || this.link.state !== 'up') await this.link.reset({ timeoutMs });
    const left = Math.max(1, timeoutMs - (performance.now() - started));
    const helloBody = helloRequestBody({
      minVersion: PROTOCOL_VERSION_MIN,
      maxVersion: PROTOCOL_VERSION_MAX,
      schemaHash: SCHEMA_HASH,
      mtu: this.link.mtu,
      window: this.link.window,
    });
    const rsp = (await this.issue(HELLO_ID, Op.HELLO, helloBody, false, { timeout: left }, true)) as CborMap;
    const info = parseHelloResponse(rsp);
    if (info.version < PROTOCOL_VERSION_MIN || info.version > PROTOCOL_VERSION_MAX) {
      throw new VersionMismatchError(
        `board chose protocol version ${info.version}, host speaks ${PROTOCOL_VERSION_MIN}..${PROTOCOL_VERSION_MAX}`,
        [PROTOCOL_VERSION_MIN, PROTOCOL_VERSION_MAX],
        info.version,
      );
    }
    if (info.schemaHash !== SCHEMA_HASH_HEX) throw new SchemaMismatchError(SCHEMA_HASH_HEX, info.schemaHash);
    if (info.mtu < MIN_PEER_MTU || info.mtu > MAX_PEER_MTU) {
      throw new PeerLimitsError(`board announced an MTU of ${info.mtu} bytes, outside ${MIN_PEER_MTU}..${MAX_PEER_MTU}`);
    }
    this.link.peerMtu = info.mtu;
    return info;
  }

  private becomeReady(): void {
    this.sessionState = 'ready';
    this.lastActivity = performance.now();
    this.scheduleHeartbeat();
    const queued = this.waiting.splice(0);
    for (const p of queued) if (this.pending.get(p.id) === p) this.transmit(p);
  }

  private onPeerReset(): void {
    // Frames the link discarded already failed their requests with LinkResetError.
    if (this.sessionState === 'ready') this.startReconnect(true);
  }

  private onLinkDown(err: LinkDownError): void {
    this.c.linkDowns++;
    this.emit('linkdown', err);
    if (this.sessionState === 'ready') this.startReconnect(false);
  }

  private startReconnect(linkAlreadyReset: boolean): void {
    if (!this.autoReconnect) {
      void this.close(new LinkDownError('link lost and reconnect is disabled'));
      return;
    }
    this.sessionState = 'reconnecting';
    this.stopHeartbeat();
    if (this.reconnectLoop) return;
    this.reconnectLoop = this.reconnect(linkAlreadyReset).finally(() => (this.reconnectLoop = undefined));
  }

  private async reconnect(linkAlreadyReset: boolean): Promise<void> {
    let backoff = RECONNECT_BACKOFF_MIN_MS;
    let skipReset = linkAlreadyReset;
    while (this.sessionState === 'reconnecting') {
      try {
        const info = await this.handshake(skipReset, this.timeoutMs);
        if (this.sessionState !== 'reconnecting') return;
        this.afterReconnect(info);
        return;
      } catch (err) {
        if (this.sessionState !== 'reconnecting') return;
        if (isFatalHandshakeError(err)) {
          await this.close(err as Error);
          return;
        }
        skipReset = false;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, RECONNECT_BACKOFF_MAX_MS);
      }
    }
  }

  private afterReconnect(info: HelloInfo): void {
    const previous = this.hello;
    this.hello = info;
    this.c.reconnects++;
    const rebooted = previous !== undefined && previous.bootId !== info.bootId;
    if (rebooted) {
      this.c.reboots++;
      this.lastNotificationId = undefined;
      const err = new BoardRebootedError(previous.bootId, info.bootId);
      for (const p of [...this.pending.values()]) if (p.sent) this.settle(p, err);
      this.emit('reboot', { previousBootId: previous.bootId, info });
    }
    this.emit('reconnect', { info, rebooted });
    this.becomeReady();
  }

  // ------------------------------------------------------------------------------ requests

  /** Sends a request; resolves with the RSP body, rejects with BoardError on ERR. */
  request(op: number, body: CborMap = new Map(), opts: RequestOptions = {}): Promise<CborMap> {
    return this.issue(this.allocateId(), op, body, false, opts) as Promise<CborMap>;
  }

  /** Sends a dump request; resolves with the ITEM bodies and DONE's interrupted flag. */
  dump(op: number, body: CborMap = new Map(), opts: RequestOptions = {}): Promise<DumpResult> {
    return this.issue(this.allocateId(), op, body, true, opts) as Promise<DumpResult>;
  }

  async ping(data?: Uint8Array, opts: RequestOptions = {}): Promise<PingResult> {
    const started = performance.now();
    const rsp = await this.request(Op.PING, pingBody(data), opts);
    return { data: parsePingBody(rsp), rttMs: performance.now() - started };
  }

  /** The board's counters by name (STATS). */
  async stats(opts: RequestOptions = {}): Promise<BoardStats> {
    return parseStatsResponse(await this.request(Op.STATS, new Map(), opts));
  }

  /** Sends bytes the board discards; resolves with the byte count it reports. */
  async sink(data: Uint8Array, opts: RequestOptions = {}): Promise<number> {
    return parseSinkResponse(await this.request(Op.SINK, sinkRequestBody(data), opts));
  }

  /**
   * Asks the board to reboot. With `wait` (default) resolves once the session is back with a new
   * boot id (the 'reboot' event), giving its HelloInfo.
   */
  async reboot(opts: RequestOptions & { wait?: boolean; waitTimeout?: number } = {}): Promise<HelloInfo | undefined> {
    const wait = opts.wait ?? true;
    const rebooted = wait ? this.waitForReboot(opts.waitTimeout ?? Math.max(15_000, this.timeoutMs)) : undefined;
    rebooted?.catch(() => {}); // observed below; avoid an unhandled rejection if the request fails first
    try {
      await this.request(Op.REBOOT, new Map(), opts);
    } catch (err) {
      // The board may reset the link before its RSP got through; the reboot itself is what we want.
      if (!(err instanceof BoardRebootedError || err instanceof LinkResetError)) throw err;
    }
    return rebooted ? await rebooted : undefined;
  }

  private waitForReboot(timeoutMs: number): Promise<HelloInfo> {
    return new Promise<HelloInfo>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new TimeoutError(`board did not come back with a new boot id within ${timeoutMs} ms`));
      }, timeoutMs);
      const onReboot = ({ info }: { info: HelloInfo }) => {
        cleanup();
        resolve(info);
      };
      const onClose = () => {
        cleanup();
        reject(new ClosedError());
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.off('reboot', onReboot);
        this.off('close', onClose);
      };
      this.on('reboot', onReboot);
      this.on('close', onClose);
    });
  }

  /** Writes raw bytes on the line, outside any frame (test aid for garbage injection). */
  injectRaw(bytes: Uint8Array): void {
    this.link.writeRaw(bytes);
  }

  private allocateId(): number {
    // uint32, wrapping, skipping 0 (HELLO) and ids still in use.
    for (;;) {
      const id = this.nextId;
      this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  private issue(
    id: number,
    op: number,
    body: CborMap,
    dump: boolean,
    opts: RequestOptions,
    bypassSession = false,
  ): Promise<CborMap | DumpResult> {
    if (this.sessionState === 'closed') return Promise.reject(new ClosedError());
    if (opts.signal?.aborted) {
      this.c.aborts++;
      return Promise.reject(new AbortError(`${opName(op)} aborted before it was sent`, { cause: opts.signal.reason }));
    }
    if (this.pending.size >= this.maxPending && !bypassSession) {
      return Promise.reject(new QueueFullError(`${this.maxPending} requests already pending`));
    }
    let payload: Uint8Array;
    try {
      payload = encodeMessage({ kind: Kind.REQ, op, id, body });
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<CborMap | DumpResult>((resolve, reject) => {
      const p: Pending = {
        id,
        op,
        dump,
        items: [],
        timeoutMs: opts.timeout ?? this.timeoutMs,
        timer: undefined,
        acked: false,
        sent: false,
        payload,
        resolve,
        reject,
        signal: opts.signal,
        onAbort: undefined,
      };
      const previous = this.pending.get(id);
      if (previous) this.settle(previous, new LinkResetError(`request ${id} superseded`)); // only HELLO reuses an id
      this.pending.set(id, p);
      this.c.pendingHighWater = Math.max(this.c.pendingHighWater, this.pending.size);
      this.armTimeout(p);
      if (p.signal) {
        p.onAbort = () => {
          this.c.aborts++;
          this.settle(p, new AbortError(`${opName(op)} request ${id} aborted`, { cause: p.signal?.reason }));
        };
        p.signal.addEventListener('abort', p.onAbort, { once: true });
      }
      // A session still marked ready while its link is already down (the 'linkdown' that starts
      // the reconnect has not been handled yet) must not fail a request that was never sent: it
      // waits for the session like any request made while reconnecting.
      if (bypassSession || (this.sessionState === 'ready' && this.link.state === 'up')) this.transmit(p);
      else this.waiting.push(p);
    });
  }

  private armTimeout(p: Pending): void {
    clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      this.c.timeouts++;
      this.settle(p, new TimeoutError(`${opName(p.op)} request ${p.id} got no answer within ${p.timeoutMs} ms`));
    }, p.timeoutMs);
  }

  private transmit(p: Pending): void {
    p.sent = true;
    this.c.messagesOut++;
    this.lastActivity = performance.now();
    this.link.send(p.payload).then(
      () => (p.acked = true),
      (err: Error) => this.settle(p, err),
    );
  }

  /** Completes a pending request once; later answers for its id count as late. */
  private settle(p: Pending, outcome: Error | CborMap | DumpResult): void {
    if (this.pending.get(p.id) !== p) return;
    this.pending.delete(p.id);
    clearTimeout(p.timer);
    if (p.signal && p.onAbort) p.signal.removeEventListener('abort', p.onAbort);
    const w = this.waiting.indexOf(p);
    if (w !== -1) this.waiting.splice(w, 1);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  // ------------------------------------------------------------------------------ receive

  private onMessage(payload: Uint8Array): void {
    let msg: Message;
    try {
      msg = decodeMessage(payload);
    } catch {
      this.c.malformedMessages++;
      return;
    }
    this.c.messagesIn++;
    if (msg.kind === Kind.NTF) return this.onNotification(msg);
    if (msg.kind === Kind.REQ) {
      this.c.malformedMessages++; // the board never sends requests
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p || !p.sent) {
      this.c.lateResponses++;
      return;
    }
    if (msg.op !== p.op) {
      return this.settle(p, new ProtocolError(`answer to ${opName(p.op)} request ${p.id} carries op ${opName(msg.op)}`));
    }
    try {
      this.onAnswer(p, msg);
    } catch (err) {
      this.settle(p, err instanceof NetbridgeError ? err : new ProtocolError(String(err)));
    }
  }

  private onAnswer(p: Pending, msg: Message): void {
    switch (msg.kind) {
      case Kind.RSP:
        if (p.dump) throw new ProtocolError(`dump ${opName(p.op)} answered with RSP`);
        return this.settle(p, msg.body);
      case Kind.ERR: {
        const e = parseErrBody(msg.body);
        return this.settle(
          p,
          new BoardError({ op: p.op, errno: e.errno, errnoName: e.name, extack: e.message, field: e.field, gaiError: e.gaiError }),
        );
      }
      case Kind.ITEM:
        if (!p.dump) throw new ProtocolError(`${opName(p.op)} is not a dump but got ITEM`);
        if (p.items.length < this.maxDumpItems) p.items.push(msg.body);
        else this.c.dumpItemsDropped++;
        this.armTimeout(p); // a long dump that makes progress is not timing out
        return;
      case Kind.DONE: {
        if (!p.dump) throw new ProtocolError(`${opName(p.op)} is not a dump but got DONE`);
        const done = parseDone(msg.body);
        return this.settle(p, { items: p.items, interrupted: done.interrupted });
      }
      default:
        throw new ProtocolError(`unexpected kind ${msg.kind}`);
    }
  }

  private onNotification(msg: Message): void {
    this.c.notifications++;
    if (this.lastNotificationId !== undefined && msg.id !== ((this.lastNotificationId + 1) >>> 0)) {
      this.c.notificationGaps++;
    }
    this.lastNotificationId = msg.id;
    try {
      if (msg.op === Op.OVERRUN) {
        const o: Overrun = parseOverrun(msg.body);
        this.c.overruns += o.count;
        this.emit('overrun', o);
      } else if (msg.op === Op.LOG) {
        const line: LogLine = parseLog(msg.body);
        this.emit('log', line);
      }
    } catch {
      this.c.malformedMessages++;
    }
    this.emit('notification', msg);
  }

  // ------------------------------------------------------------------------------ heartbeat

  private scheduleHeartbeat(): void {
    if (this.heartbeatMs <= 0 || this.sessionState !== 'ready') return;
    clearTimeout(this.heartbeatTimer);
    const idle = performance.now() - this.lastActivity;
    this.heartbeatTimer = setTimeout(() => this.heartbeat(), Math.max(10, this.heartbeatMs - idle));
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private heartbeat(): void {
    if (this.sessionState !== 'ready') return;
    if (performance.now() - this.lastActivity < this.heartbeatMs || this.heartbeatInFlight) {
      this.scheduleHeartbeat();
      return;
    }
    this.heartbeatInFlight = true;
    this.c.heartbeats++;
    // A PING whose frame exhausts the retries makes the link emit 'down', which reconnects.
    this.ping(undefined, { timeout: this.timeoutMs })
      .catch(() => this.c.heartbeatFailures++)
      .finally(() => {
        this.heartbeatInFlight = false;
        this.scheduleHeartbeat();
      });
  }

  // ------------------------------------------------------------------------------ counters & close

  counters(): ClientCounters {
    const l = this.link.counters();
    return {
      framesIn: l.framesIn,
      framesOut: l.framesOut,
      crcErrors: l.crcErrors,
      garbageBytes: l.garbageBytes,
      retransmits: l.retransmits,
      duplicates: l.duplicates,
      outOfOrder: l.outOfOrder,
      malformed: l.malformedFrames + this.c.malformedMessages,
      messagesIn: this.c.messagesIn,
      messagesOut: this.c.messagesOut,
      notifications: this.c.notifications,
      notificationGaps: this.c.notificationGaps,
      overruns: this.c.overruns,
      resyncs: l.resyncs,
      peerResets: l.peerResets,
      reconnects: this.c.reconnects,
      reboots: this.c.reboots,
      linkDowns: this.c.linkDowns,
      timeouts: this.c.timeouts,
      aborts: this.c.aborts,
      lateResponses: this.c.lateResponses,
      heartbeats: this.c.heartbeats,
      heartbeatFailures: this.c.heartbeatFailures,
      txQueueHighWater: l.txQueueHighWater,
      txQueueDrops: l.txQueueDrops,
      pendingHighWater: this.c.pendingHighWater,
      dumpItemsDropped: this.c.dumpItemsDropped,
      srttMs: l.srttMs,
      rtoMs: l.rtoMs,
      lineRate: l.lineRate,
    };
  }

  private onTransportGone(err: PortError): void {
    if (this.sessionState !== 'closed') void this.close(err);
  }

  /**
   * Fails everything pending (ClosedError, or `reason`), stops timers and, when the client opened
   * the port itself, closes it. Emits 'close'.
   */
  async close(reason?: Error): Promise<void> {
    if (this.sessionState === 'closed') return;
    this.sessionState = 'closed';
    this.stopHeartbeat();
    const err = reason ?? new ClosedError();
    for (const p of [...this.pending.values()]) this.settle(p, err);
    this.waiting.length = 0;
    this.link.close();
    this.transport.on('error', () => {}); // late errors from a closing port are not ours to throw
    if (this.ownsTransport) await closeTransport(this.transport);
    this.emit('close', reason);
  }
}

/**
 * Errors that another attempt cannot cure. A board that answers HELLO with ERR (an old firmware
 * without the op, a version it refuses) would answer every retry the same way, and retrying at once
 * only floods it with link resets: report its errno and extack instead.
 */
function isFatalHandshakeError(err: unknown): boolean {
  return (
    err instanceof BoardError ||
    err instanceof VersionMismatchError ||
    err instanceof SchemaMismatchError ||
    err instanceof ClosedError ||
    err instanceof PeerLimitsError
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
