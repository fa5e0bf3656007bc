/**
 * The link layer's reliable delivery (PROTOCOL.md §1.3): sequence numbers and cumulative acks mod
 * 256, a window of frames in flight, go-back-N retransmission on an RFC 6298 timer (Karn's rule),
 * duplicate suppression, and the RST/RST_ACK handshake. Symmetric: the fake board in the tests runs
 * the same class.
 *
 * When the line rate is known, the timer of each frame is floored by the line time it must wait:
 * on a slow UART a full frame takes longer on the line than a small request's round trip, so an
 * RTO learnt from small requests would declare frames lost while they still queue for the line.
 *
 * Events: 'message' (payload: Uint8Array) for each DATA payload, in order, once;
 * 'up' after a local reset completes; 'peer-reset' after the peer reset the link (we answered);
 * 'down' (err: LinkDownError) when retries ran out; 'activity' on every valid frame;
 * 'transport-close' / 'transport-error' (err) from the underlying stream.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { ClosedError, LinkDownError, LinkResetError, MessageTooLargeError, QueueFullError, TimeoutError } from '../errors.js';
import { FrameDecoder } from '../framing/decoder.js';
import { ACK_GAP, DEFAULT_MTU, type Frame, FrameType, encodeWire, maxEncodedFrameSize } from '../framing/frame.js';

/** Time source and timers, injectable for tests. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface LinkOptions {
  /** Largest DATA payload we accept (bounds the receive buffer). Default 1024. */
  mtu?: number;
  /** Largest DATA payload the peer accepts (from HELLO). Default 1024. */
  peerMtu?: number;
  /** Receive window we offer and our own cap on frames in flight. Default 8, at most 64. */
  window?: number;
  rtoMinMs?: number;
  /** Cap of the RTT-based timeout and its backoff (the line-time floor below may exceed it). */
  rtoMaxMs?: number;
  /** RTO before the first RTT sample. */
  rtoInitialMs?: number;
  /** Timer expiries without progress before the link is declared dead. Default 8. */
  maxRetries?: number;
  /** RST repetition period. Default 250 ms. */
  resetIntervalMs?: number;
  /** Frames waiting for a window slot. Default 256; beyond that send() fails with QueueFullError. */
  sendQueueLimit?: number;
  /**
   * Bytes per second the line carries (8N1 UART: baud / 10). When given, a frame is not timed out
   * before LINE_TIME_MARGIN times the line time of the bytes queued ahead of it plus itself, plus
   * rtoMinMs, nor while the peer's frames (which its ACK may queue behind) keep arriving, up to a
   * full window of them (PROTOCOL.md §1.3). Default: unknown (RTT-based timeout only).
   */
  lineRate?: number;
  clock?: Clock;
  nonce?: () => Uint8Array;
}

export type LinkState = 'idle' | 'resetting' | 'up' | 'down' | 'closed';

export interface LinkCounters {
  framesIn: number;
  framesOut: number;
  dataIn: number;
  dataOut: number;
  retransmits: number;
  duplicates: number;
  outOfOrder: number;
  badAcks: number;
  resyncs: number;
  peerResets: number;
  ignoredUnsynced: number;
  txQueueHighWater: number;
  txQueueDrops: number;
  /** Most DATA frames ever unacknowledged at once (shows the window pipelines). */
  inFlightHighWater: number;
  /** Go-back-N rounds started by a gap ACK rather than the timer. */
  fastRetransmits: number;
  garbageBytes: number;
  crcErrors: number;
  malformedFrames: number;
  oversizeRuns: number;
  rttSamples: number;
  srttMs: number;
  rtoMs: number;
  /** The line rate the timeouts are floored with, bytes/s; 0 when unknown. */
  lineRate: number;
  /** Timer expiries deferred because the frame's line-time floor had not passed yet. */
  lineDeferrals: number;
}

const MAX_WINDOW = 64;
/** A DATA frame within this many sequence numbers behind `expected` is a duplicate. */
const DUPLICATE_SPAN = 128;
/**
 * Factor on the modelled line time in a timeout floor: room for a line that carries less than its
 * nominal rate (stop-bit gaps, a receiver that drains slower, an emulated UART) and for the peer's
 * turnaround, without which a floor would sit exactly on the expected ACK time.
 */
export const LINE_TIME_MARGIN = 2;
/** A timer that fires within this much of its deadline counts as expired (timer granularity). */
const TIMER_SLACK_MS = 1;

interface Outgoing {
  payload: Uint8Array;
  seq: number;
  sentAt: number;
  /** Modelled time the last byte of the latest transmission leaves the line (= sentAt if unknown). */
  lineDoneAt: number;
  transmissions: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class Link extends EventEmitter {
  readonly mtu: number;
  peerMtu: number;
  readonly window: number;
  private readonly rtoMin: number;
  private readonly rtoMax: number;
  private readonly maxRetries: number;
  private readonly resetInterval: number;
  private readonly queueLimit: number;
  private readonly clock: Clock;
  private readonly makeNonce: () => Uint8Array;
  private readonly decoder: FrameDecoder;
  /** Bytes per ms on the line, or undefined when the rate is unknown. */
  private readonly lineBytesPerMs: number | undefined;
  /** Line time of the peer's largest frame, and of a full window of them (what its ACK may queue behind), ms. */
  private readonly peerFrameLineMs: number;
  private readonly peerWindowLineMs: number;

  private linkState: LinkState = 'idle';
  private nextSeq = 0;
  private sendBase = 0;
  private expected = 0;
  private peerWin = 1;
  private readonly queue: Outgoing[] = [];
  private inFlight: Outgoing[] = [];
  private retries = 0;
  private rto: number;
  private srtt: number | undefined;
  private rttvar = 0;
  private retransmitTimer: unknown;
  /** When the retransmission timer was (re)started: its RTT-based deadline is this + rto. */
  private timerStartedAt = 0;
  /** Modelled time our last written byte leaves the line. */
  private lineFreeAt = 0;
  /** When bytes last arrived from the peer (its side of the line is busy or alive). */
  private lastRxAt = Number.NEGATIVE_INFINITY;
  private ackPending = false;
  /** sendBase at the last ACK-triggered go-back-N (-1: none since the last progress). */
  private fastRetransmitBase = -1;

  private localNonce: Uint8Array | undefined;
  private resetTimer: unknown;
  private resetDeadline: unknown;
  private resetWaiters: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private resetPromise: Promise<void> | undefined;
  private lastPeerNonce: Uint8Array | undefined;

  private readonly c = {
    framesIn: 0,
    framesOut: 0,
    dataIn: 0,
    dataOut: 0,
    retransmits: 0,
    duplicates: 0,
    outOfOrder: 0,
    badAcks: 0,
    resyncs: 0,
    peerResets: 0,
    ignoredUnsynced: 0,
    txQueueHighWater: 0,
    txQueueDrops: 0,
    inFlightHighWater: 0,
    fastRetransmits: 0,
    rttSamples: 0,
    lineDeferrals: 0,
  };

  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onClose = () => this.emit('transport-close');
  private readonly onError = (err: Error) => this.emit('transport-error', err);

  constructor(
    private readonly transport: Duplex,
    opts: LinkOptions = {},
  ) {
    super();
    this.mtu = opts.mtu ?? DEFAULT_MTU;
    this.peerMtu = opts.peerMtu ?? DEFAULT_MTU;
    this.window = Math.max(1, Math.min(opts.window ?? 8, MAX_WINDOW));
    this.rtoMin = opts.rtoMinMs ?? 30;
    this.rtoMax = opts.rtoMaxMs ?? 2000;
    this.rto = Math.min(Math.max(opts.rtoInitialMs ?? 250, this.rtoMin), this.rtoMax);
    this.maxRetries = opts.maxRetries ?? 8;
    this.resetInterval = opts.resetIntervalMs ?? 250;
    this.queueLimit = opts.sendQueueLimit ?? 256;
    this.clock = opts.clock ?? systemClock;
    this.makeNonce = opts.nonce ?? (() => new Uint8Array(randomBytes(4)));
    this.decoder = new FrameDecoder(this.mtu);
    const rate = opts.lineRate;
    if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) throw new RangeError(`lineRate ${rate} is not a positive number of bytes/s`);
    this.lineBytesPerMs = rate === undefined ? undefined : rate / 1000;
    // The peer keeps at most our window of DATA frames unacknowledged, each at most our MTU.
    this.peerFrameLineMs = this.lineMs(maxEncodedFrameSize(this.mtu) + 2);
    this.peerWindowLineMs = this.window * this.peerFrameLineMs;
    transport.on('data', this.onData);
    transport.on('close', this.onClose);
    transport.on('end', this.onClose);
    transport.on('error', this.onError);
  }

  get state(): LinkState {
    return this.linkState;
  }

  counters(): LinkCounters {
    const d = this.decoder.counters();
    return {
      ...this.c,
      garbageBytes: d.garbageBytes,
      crcErrors: d.crcErrors,
      malformedFrames: d.malformed,
      oversizeRuns: d.oversize,
      srttMs: this.srtt ?? 0,
      rtoMs: this.rto,
      lineRate: this.lineBytesPerMs === undefined ? 0 : this.lineBytesPerMs * 1000,
    };
  }

  /** Frames queued or in flight. */
  get backlog(): number {
    return this.queue.length + this.inFlight.length;
  }

  // ---------------------------------------------------------------------------------- reset

  /**
   * Starts a link reset: RST with a fresh nonce every resetIntervalMs until the matching RST_ACK.
   * Frames queued or in flight are failed with LinkResetError (they belong to the old link).
   */
  reset(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.linkState === 'closed') return Promise.reject(new ClosedError('link is closed'));
    if (this.resetPromise) return this.resetPromise;
    this.discardAll(new LinkResetError('link reset by the host'));
    this.linkState = 'resetting';
    this.localNonce = this.makeNonce();
    this.resetPromise = new Promise<void>((resolve, reject) => {
      this.resetWaiters = { resolve, reject };
    });
    const tick = () => {
      if (!this.localNonce) return;
      this.writeFrame(FrameType.RST, 0, this.localNonce);
      this.resetTimer = this.clock.setTimeout(tick, this.resetInterval);
    };
    tick();
    if (opts.timeoutMs !== undefined) {
      this.resetDeadline = this.clock.setTimeout(() => {
        this.endReset(new TimeoutError(`no RST_ACK within ${opts.timeoutMs} ms`));
        this.linkState = 'down';
      }, opts.timeoutMs);
    }
    return this.resetPromise;
  }

  private endReset(err?: Error): void {
    this.clock.clearTimeout(this.resetTimer);
    this.clock.clearTimeout(this.resetDeadline);
    this.localNonce = undefined;
    const waiters = this.resetWaiters;
    this.resetWaiters = undefined;
    this.resetPromise = undefined;
    if (err) waiters?.reject(err);
    else waiters?.resolve();
  }

  /** Forget all sequence state (both directions), as after RST / RST_ACK. */
  private zero(reason: Error): void {
    this.discardAll(reason);
    this.nextSeq = 0;
    this.sendBase = 0;
    this.expected = 0;
    this.retries = 0;
    this.ackPending = false;
    this.fastRetransmitBase = -1;
    this.c.resyncs++;
  }

  private discardAll(reason: Error): void {
    this.clock.clearTimeout(this.retransmitTimer);
    this.retransmitTimer = undefined;
    const dropped = [...this.inFlight, ...this.queue];
    this.inFlight = [];
    this.queue.length = 0;
    for (const o of dropped) o.reject(reason);
  }

  private onPeerRst(frame: Frame): void {
    const nonce = frame.payload;
    const repeated = this.lastPeerNonce !== undefined && Buffer.compare(this.lastPeerNonce, nonce) === 0;
    this.peerWin = frame.win;
    if (repeated && this.linkState === 'up') {
      // The peer repeated its RST before our RST_ACK reached it: answer again, reset nothing.
      this.writeFrame(FrameType.RST_ACK, 0, nonce);
      return;
    }
    this.lastPeerNonce = nonce;
    this.zero(new LinkResetError('the peer reset the link'));
    this.c.peerResets++;
    this.writeFrame(FrameType.RST_ACK, 0, nonce);
    if (this.linkState === 'resetting') return; // our own reset completes on its RST_ACK
    this.linkState = 'up';
    this.emit('peer-reset');
  }

  private onRstAck(frame: Frame): void {
    if (this.linkState !== 'resetting' || !this.localNonce) return;
    if (Buffer.compare(this.localNonce, frame.payload) !== 0) return; // stale answer to an old RST
    this.peerWin = frame.win;
    this.zero(new LinkResetError('link reset by the host'));
    this.linkState = 'up';
    this.endReset();
    this.emit('up');
    this.pump();
  }

  // ---------------------------------------------------------------------------------- send

  /**
   * Queues a DATA payload. Resolves when the peer acknowledged it; rejects with LinkResetError if
   * a reset discarded it first, LinkDownError if the link died, QueueFullError if the queue is full.
   */
  send(payload: Uint8Array): Promise<void> {
    if (this.linkState === 'closed') return Promise.reject(new ClosedError('link is closed'));
    if (this.linkState !== 'up') return Promise.reject(new LinkDownError(`link is ${this.linkState}`));
    if (payload.length > this.peerMtu) return Promise.reject(new MessageTooLargeError(payload.length, this.peerMtu));
    if (this.queue.length >= this.queueLimit) {
      this.c.txQueueDrops++;
      return Promise.reject(new QueueFullError(`link send queue is full (${this.queueLimit} frames)`));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ payload, seq: -1, sentAt: 0, lineDoneAt: 0, transmissions: 0, resolve, reject });
      this.c.txQueueHighWater = Math.max(this.c.txQueueHighWater, this.queue.length + this.inFlight.length);
      this.pump();
    });
  }

  /** Writes bytes on the line as they are (test aid: garbage, console text, crafted frames). */
  writeRaw(bytes: Uint8Array): void {
    if (!this.transport.writable) return;
    this.occupyLine(bytes.length);
    this.transport.write(Buffer.from(bytes));
  }

  private sendWindow(): number {
    const w = Math.min(this.window, this.peerWin, MAX_WINDOW);
    return w === 0 ? 1 : w; // a paused peer still gets one frame: it is the probe
  }

  private pump(): void {
    if (this.linkState !== 'up') return;
    while (this.queue.length > 0 && this.inFlight.length < this.sendWindow()) {
      const o = this.queue.shift() as Outgoing;
      o.seq = this.nextSeq;
      this.nextSeq = (this.nextSeq + 1) & 0xff;
      this.inFlight.push(o);
      this.transmit(o);
      this.c.dataOut++;
      this.c.inFlightHighWater = Math.max(this.c.inFlightHighWater, this.inFlight.length);
    }
    if (this.inFlight.length > 0 && this.retransmitTimer === undefined) this.armTimer();
  }

  private transmit(o: Outgoing): void {
    o.sentAt = this.clock.now();
    o.transmissions++;
    o.lineDoneAt = this.writeFrame(FrameType.DATA, o.seq, o.payload);
  }

  /** Writes one frame; returns when its last byte is modelled to leave the line. */
  private writeFrame(type: FrameType, seq: number, payload: Uint8Array): number {
    const synced = this.linkState === 'up';
    const ack = synced ? this.expected : 0;
    if (type === FrameType.DATA || type === FrameType.ACK) this.ackPending = false;
    const wire = encodeWire({ type, seq, ack, win: this.window, payload });
    this.c.framesOut++;
    if (!this.transport.writable) return this.clock.now();
    const doneAt = this.occupyLine(wire.byteLength);
    this.transport.write(Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength));
    return doneAt;
  }

  // ---------------------------------------------------------------------------------- line model

  private lineMs(bytes: number): number {
    return this.lineBytesPerMs === undefined ? 0 : bytes / this.lineBytesPerMs;
  }

  /** Accounts `bytes` written now; returns when they are modelled to have left the line. */
  private occupyLine(bytes: number): number {
    const now = this.clock.now();
    if (this.lineBytesPerMs === undefined) return now;
    this.lineFreeAt = Math.max(now, this.lineFreeAt) + this.lineMs(bytes);
    return this.lineFreeAt;
  }

  /**
   * The earliest time `o` may be declared lost, by line time alone: it cannot be acknowledged
   * before it and everything queued ahead of it left the line; and while the peer is sending, its
   * ACK may queue behind up to a window of the peer's frames, which arrive as they go: wait as long
   * as they keep coming (a frame time of silence at most), never longer than that window. Each line
   * time with margin, plus rtoMin for the turnaround. A silent peer gets no reverse allowance, so
   * a dead one is found after the forward line time and the usual backoff.
   */
  private lineDeadline(o: Outgoing): number {
    if (this.lineBytesPerMs === undefined) return 0;
    const forward = o.sentAt + LINE_TIME_MARGIN * (o.lineDoneAt - o.sentAt) + this.rtoMin;
    if (!(this.lastRxAt > o.sentAt)) return forward;
    const whileTheyCome = this.lastRxAt + LINE_TIME_MARGIN * this.peerFrameLineMs + this.rtoMin;
    return Math.max(forward, Math.min(whileTheyCome, forward + LINE_TIME_MARGIN * this.peerWindowLineMs));
  }

  /** When the oldest frame times out: the RTT-based timer (with backoff), floored by line time. */
  private deadline(oldest: Outgoing): number {
    return Math.max(this.timerStartedAt + this.rto, this.lineDeadline(oldest));
  }

  // ---------------------------------------------------------------------------------- timers

  private armTimer(): void {
    this.timerStartedAt = this.clock.now();
    this.scheduleTimer();
  }

  private scheduleTimer(): void {
    this.clock.clearTimeout(this.retransmitTimer);
    const oldest = this.inFlight[0];
    const wait = oldest ? this.deadline(oldest) - this.clock.now() : this.rto;
    this.retransmitTimer = this.clock.setTimeout(() => this.onTimeout(), Math.max(0, wait));
  }

  private onTimeout(): void {
    this.retransmitTimer = undefined;
    const oldest = this.inFlight[0];
    if (this.linkState !== 'up' || !oldest) return;
    if (this.deadline(oldest) - this.clock.now() > TIMER_SLACK_MS) {
      // Bytes from the peer arrived since the timer was set: its ACK may be queued behind them.
      this.c.lineDeferrals++;
      this.scheduleTimer();
      return;
    }
    this.retries++;
    if (this.retries > this.maxRetries) {
      this.linkDown();
      return;
    }
    this.rto = Math.min(this.rto * 2, this.rtoMax);
    for (const o of this.inFlight) this.transmit(o); // go-back-N: everything unacknowledged, in order
    this.c.retransmits += this.inFlight.length;
    this.armTimer();
  }

  private linkDown(): void {
    this.linkState = 'down';
    const err = new LinkDownError(`no acknowledgement after ${this.maxRetries} retransmissions`);
    this.discardAll(err);
    this.emit('down', err);
  }

  private sampleRtt(r: number): void {
    // RFC 6298 §2, with G = 1 ms.
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.c.rttSamples++;
    this.rto = Math.min(Math.max(this.srtt + Math.max(1, 4 * this.rttvar), this.rtoMin), this.rtoMax);
  }

  // ---------------------------------------------------------------------------------- receive

  private receive(chunk: Uint8Array): void {
    if (this.linkState === 'closed') return;
    this.lastRxAt = this.clock.now();
    for (const frame of this.decoder.push(chunk)) {
      this.c.framesIn++;
      this.emit('activity');
      this.handle(frame);
      if ((this.linkState as LinkState) === 'closed') return; // a handler closed us
    }
  }

  private handle(frame: Frame): void {
    switch (frame.type) {
      case FrameType.RST:
        return this.onPeerRst(frame);
      case FrameType.RST_ACK:
        return this.onRstAck(frame);
      default:
        if (this.linkState !== 'up') {
          this.c.ignoredUnsynced++; // DATA/ACK of a link we have not (re)synchronised
          return;
        }
        this.onAck(frame);
        if (frame.type === FrameType.DATA) this.onDataFrame(frame);
    }
  }

  private onAck(frame: Frame): void {
    const wasPaused = this.peerWin === 0;
    const n = (frame.ack - this.sendBase) & 0xff;
    if (n > this.inFlight.length) {
      this.c.badAcks++; // acknowledges frames we never sent: ignore the ack, keep the window
      this.peerWin = frame.win;
      return;
    }
    this.peerWin = frame.win;
    if (n > 0) {
      const acked = this.inFlight.splice(0, n);
      this.sendBase = frame.ack;
      this.fastRetransmitBase = -1;
      const newest = acked[acked.length - 1] as Outgoing;
      // Karn: only a frame sent once gives a sample, and a backed-off RTO stays until one does
      // (RFC 6298 §5.7): an ACK of a retransmitted frame may answer either copy. Snapping back to
      // the old SRTT instead retransmits every large frame on a slow line again, so no frame is
      // ever sent once and the RTO never learns.
      if (newest.transmissions === 1) this.sampleRtt(this.clock.now() - newest.sentAt);
      this.retries = 0;
      for (const o of acked) o.resolve();
      if (this.inFlight.length === 0) {
        this.clock.clearTimeout(this.retransmitTimer);
        this.retransmitTimer = undefined;
      } else {
        this.armTimer();
      }
    } else if (wasPaused && frame.type === FrameType.ACK) {
      this.retries = 0; // a paused peer answering our probe is alive
    }
    if (frame.type === FrameType.ACK && frame.seq === ACK_GAP && this.inFlight.length > 0 && this.fastRetransmitBase !== this.sendBase) {
      // The receiver dropped a frame (a gap, or no room for it) and asks us to go back: resend
      // once per window base instead of waiting for the timer. A plain ACK that re-acknowledges
      // a duplicate (seq 0) never does this, or our own retransmissions would feed a storm.
      this.fastRetransmitBase = this.sendBase;
      for (const o of this.inFlight) this.transmit(o);
      this.c.retransmits += this.inFlight.length;
      this.c.fastRetransmits++;
      this.armTimer();
    }
    this.pump();
  }

  private onDataFrame(frame: Frame): void {
    if (frame.seq === this.expected) {
      this.expected = (this.expected + 1) & 0xff;
      this.c.dataIn++;
      // Ack after the handlers ran: a response they send synchronously carries the ack.
      this.ackPending = true;
      queueMicrotask(() => {
        if (this.ackPending && this.linkState === 'up') this.writeFrame(FrameType.ACK, 0, new Uint8Array(0));
      });
      this.emit('message', frame.payload);
      return;
    }
    const behind = (this.expected - frame.seq) & 0xff;
    const duplicate = behind >= 1 && behind <= DUPLICATE_SPAN;
    if (duplicate) this.c.duplicates++;
    else this.c.outOfOrder++;
    // Re-acknowledge: for a duplicate our ack was probably lost; a gap asks for go-back-N.
    this.writeFrame(FrameType.ACK, duplicate ? 0 : ACK_GAP, new Uint8Array(0));
  }

  // ---------------------------------------------------------------------------------- close

  /** Stops timers and fails everything pending with ClosedError. Does not close the transport. */
  close(): void {
    if (this.linkState === 'closed') return;
    this.endReset(new ClosedError('link closed'));
    this.linkState = 'closed';
    this.discardAll(new ClosedError('link closed'));
    this.transport.off('data', this.onData);
    this.transport.off('close', this.onClose);
    this.transport.off('end', this.onClose);
    this.transport.off('error', this.onError);
  }
}
