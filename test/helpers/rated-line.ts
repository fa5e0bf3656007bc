/**
 * A UART-like line for link tests, on virtual time: each direction carries bytes at a fixed rate
 * (8N1: baud / 10 bytes/s) in order, queued behind what was written before, delivered in small
 * slices as a UART driver would hand them up. Minutes of line time run in milliseconds, so slow
 * lines (9600 baud) and dead-peer bounds can be tested exactly.
 */
import { Duplex } from 'node:stream';
import type { Clock } from '../../src/link/link.js';

interface Timer {
  at: number;
  order: number;
  fn: () => void;
}

/** Timers on a virtual clock; `run` advances it, letting Node's own queues drain between timers. */
export class VirtualClock implements Clock {
  private t = 0;
  private order = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { at: this.t + Math.max(0, ms), order: this.order++, fn };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    const i = this.timers.indexOf(handle as Timer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Lets stream events, promise callbacks and microtasks (ACKs) run at the current instant. */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  }

  /**
   * Runs timers in time order until `done()` holds or virtual time would pass `limitMs`; returns
   * whether `done()` held.
   */
  async run(done: () => boolean, limitMs: number): Promise<boolean> {
    for (;;) {
      await this.settle();
      if (done()) return true;
      let next: Timer | undefined;
      for (const timer of this.timers) if (!next || timer.at < next.at || (timer.at === next.at && timer.order < next.order)) next = timer;
      if (!next || next.at > limitMs) return false;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.t = next.at;
      next.fn();
    }
  }

  /** Advances virtual time by `ms`, running what falls due. */
  async advance(ms: number): Promise<void> {
    const until = this.t + ms;
    await this.run(() => false, until);
    this.t = Math.max(this.t, until);
    await this.settle();
  }
}

class LineEnd extends Duplex {
  constructor(private readonly onWrite: (chunk: Buffer) => void) {
    super();
  }

  override _read(): void {
    // The line pushes what arrives.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.onWrite(Buffer.from(chunk));
    done();
  }
}

export interface RatedLineOptions {
  /** Nominal rate in bytes/s (what the link is told). */
  bytesPerSec: number;
  /** What the line really carries, as a fraction of the nominal rate. Default 1. */
  carries?: number;
  /** One-way latency added after the line time (driver, USB), ms. Default 0.5. */
  latencyMs?: number;
  /** Largest slice handed up at once. Default 64 bytes. */
  sliceBytes?: number;
  /** Bytes a direction may hold queued; beyond that writes are dropped and counted. Default 1 MiB. */
  maxQueuedBytes?: number;
}

export interface RatedLineStats {
  /** Bytes delivered per direction. */
  deliveredAB: number;
  deliveredBA: number;
  /** Bytes written while cut or beyond the queue bound. */
  dropped: number;
}

/** One direction: bytes leave in order at the line rate. */
class Direction {
  private busyUntil = 0;
  private queued = 0;
  private readonly pending = new Set<unknown>();
  delivered = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly o: Required<RatedLineOptions>,
    private readonly to: () => Duplex,
    private readonly stats: RatedLineStats,
  ) {}

  write(chunk: Buffer, cut: boolean): void {
    if (cut || this.queued + chunk.length > this.o.maxQueuedBytes) {
      this.stats.dropped += chunk.length;
      return;
    }
    const bytesPerMs = (this.o.bytesPerSec * this.o.carries) / 1000;
    this.queued += chunk.length;
    for (let at = 0; at < chunk.length; at += this.o.sliceBytes) {
      const slice = chunk.subarray(at, Math.min(chunk.length, at + this.o.sliceBytes));
      this.busyUntil = Math.max(this.clock.now(), this.busyUntil) + slice.length / bytesPerMs;
      const handle = this.clock.setTimeout(() => {
        this.pending.delete(handle);
        this.queued -= slice.length;
        this.delivered += slice.length;
        const end = this.to();
        if (!end.destroyed) end.push(slice);
      }, this.busyUntil + this.o.latencyMs - this.clock.now());
      this.pending.add(handle);
    }
  }

  /** Loses what is still on the line (a cable pulled mid-frame). */
  flush(): void {
    for (const h of this.pending) this.clock.clearTimeout(h);
    this.pending.clear();
    this.stats.dropped += this.queued;
    this.queued = 0;
    this.busyUntil = this.clock.now();
  }
}

export interface RatedLine {
  a: Duplex;
  b: Duplex;
  stats: RatedLineStats;
  /** Cuts the line (both directions lose everything, also what was on the way) or restores it. */
  cut(on: boolean): void;
  close(): void;
}

export function createRatedLine(clock: VirtualClock, opts: RatedLineOptions): RatedLine {
  const o: Required<RatedLineOptions> = { carries: 1, latencyMs: 0.5, sliceBytes: 64, maxQueuedBytes: 1 << 20, ...opts };
  const stats: RatedLineStats = { deliveredAB: 0, deliveredBA: 0, dropped: 0 };
  let isCut = false;
  const ab = new Direction(clock, o, () => b, stats);
  const ba = new Direction(clock, o, () => a, stats);
  const a: Duplex = new LineEnd((c) => ab.write(c, isCut));
  const b: Duplex = new LineEnd((c) => ba.write(c, isCut));
  return {
    a,
    b,
    get stats() {
      stats.deliveredAB = ab.delivered;
      stats.deliveredBA = ba.delivered;
      return stats;
    },
    cut(on) {
      isCut = on;
      if (on) {
        ab.flush();
        ba.flush();
      }
    },
    close() {
      ab.flush();
      ba.flush();
      a.destroy();
      b.destroy();
    },
  };
}
