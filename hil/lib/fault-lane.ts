/**
 * One direction of the fault-injection proxy: takes the bytes one end wrote, impairs them (drop,
 * corrupt, duplicate, inject garbage or console text), then delivers them in order after a delay,
 * no faster than a given baud rate (8N1: 10 bits per byte, token bucket). Everything it does is
 * counted. Bytes waiting for delivery are bounded; an overflow is dropped and counted.
 */

/** What one direction does to the bytes it carries. Rates are per byte, 0..1. */
export interface LaneFaults {
  /** A byte is lost. */
  dropRate?: number;
  /** One random bit of a byte is flipped. */
  corruptRate?: number;
  /** A byte is delivered twice. */
  duplicateRate?: number;
  /** Fixed latency added to every chunk, ms. */
  delayMs?: number;
  /** Random extra latency 0..jitterMs per chunk (order is kept, like a UART). */
  jitterMs?: number;
  /** After a byte, a burst of random bytes (1..garbageMaxLen, 0x00 included) is inserted. */
  garbageRate?: number;
  garbageMaxLen?: number;
  /** After a byte, one console-like line (log or shell text, never 0x00) is inserted. */
  consoleRate?: number;
  /** Line rate limit in baud, 8N1 (10 bits per byte); 0 or absent: unlimited. */
  baudRate?: number;
}

export interface LaneReport {
  /** Bytes the sending end wrote into the lane. */
  bytesIn: number;
  /** Bytes handed to the receiving end (impairments and injections included). */
  bytesOut: number;
  dropped: number;
  corrupted: number;
  duplicated: number;
  garbageBursts: number;
  garbageBytes: number;
  consoleLines: number;
  consoleBytes: number;
  /** Bytes lost while the line was cut. */
  cutDropped: number;
  /** Bytes lost during a stall beyond what the receiver's FIFO holds. */
  stallDropped: number;
  /** Bytes lost because the delivery queue was full. */
  overflowDropped: number;
  /** Most bytes ever waiting for delivery. */
  queuedHighWater: number;
  /** Longest time a byte waited in the lane, ms (delay, jitter, stall and rate limiting). */
  maxLatencyMs: number;
}

export type Rand = () => number;

/** Mulberry32: small seeded PRNG, so a failing run can be replayed with its seed. */
export function seededRandom(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Text that a Zephyr console would put on a shared UART. */
export const CONSOLE_LINES: readonly string[] = [
  '\r\n*** Booting Zephyr OS build v4.1.99 ***\r\n',
  '[00:00:01.234,000] <inf> net_config: Initializing network\r\n',
  '[00:00:02.001,000] <wrn> net_if: iface 1 carrier lost\r\n',
  'uart:~$ net iface\r\n',
  '[00:00:03.500,000] <err> eth: TX timeout\r\n',
  'uart:~$ \x1b[1;32mkernel threads\x1b[0m\r\n',
];

interface Chunk {
  data: Buffer;
  /** When it may be delivered (performance.now() ms). */
  due: number;
  /** When it entered the lane. */
  at: number;
}

export interface LaneOptions {
  rand: Rand;
  deliver: (bytes: Buffer) => void;
  /** Bytes waiting for delivery, at most. Default 1 MiB. */
  maxQueuedBytes?: number;
  /** Bytes a stalled receiver still takes in (a UART FIFO) before dropping. Default 16. */
  stallFifoBytes?: number;
  /** Whether bytes arriving during a stall are lost beyond the FIFO (receiver stalled) or held (sender stalled). */
  stallDrops?: boolean;
}

const emptyReport = (): LaneReport => ({
  bytesIn: 0,
  bytesOut: 0,
  dropped: 0,
  corrupted: 0,
  duplicated: 0,
  garbageBursts: 0,
  garbageBytes: 0,
  consoleLines: 0,
  consoleBytes: 0,
  cutDropped: 0,
  stallDropped: 0,
  overflowDropped: 0,
  queuedHighWater: 0,
  maxLatencyMs: 0,
});

export class FaultLane {
  private faults: LaneFaults = {};
  private readonly queue: Chunk[] = [];
  private queuedBytes = 0;
  private lastDue = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private cutLine = false;
  private stalledUntil = 0;
  private stallFifoLeft = 0;
  /** Token bucket for the baud rate: bytes we may send now, refilled by elapsed time. */
  private tokens = 0;
  private tokensAt = 0;
  private readonly r: LaneReport = emptyReport();
  private readonly maxQueued: number;
  private readonly stallFifo: number;
  private readonly stallDrops: boolean;

  constructor(private readonly opts: LaneOptions) {
    this.maxQueued = opts.maxQueuedBytes ?? 1 << 20;
    this.stallFifo = opts.stallFifoBytes ?? 16;
    this.stallDrops = opts.stallDrops ?? true;
  }

  configure(faults: LaneFaults): void {
    if (faults.baudRate !== this.faults.baudRate) {
      this.tokens = 0;
      this.tokensAt = performance.now();
    }
    this.faults = { ...faults };
    this.schedule();
  }

  get current(): LaneFaults {
    return { ...this.faults };
  }

  report(): LaneReport {
    return { ...this.r };
  }

  /** Bytes waiting for delivery now. */
  get queued(): number {
    return this.queuedBytes;
  }

  cut(): void {
    this.cutLine = true;
    // What was already on the wire towards the receiver is lost with the cable.
    for (const c of this.queue.splice(0)) this.r.cutDropped += c.data.length;
    this.queuedBytes = 0;
  }

  restore(): void {
    this.cutLine = false;
  }

  /** Holds delivery for ms (a receiver busy erasing flash, or a sender that stops). */
  stall(ms: number): void {
    const until = performance.now() + ms;
    if (until > this.stalledUntil) {
      if (this.stalledUntil <= performance.now()) this.stallFifoLeft = this.stallFifo;
      this.stalledUntil = until;
    }
    this.schedule();
  }

  get stalled(): boolean {
    return performance.now() < this.stalledUntil;
  }

  /** Bytes written by the sending end. */
  write(chunk: Uint8Array): void {
    if (this.closed) return;
    this.r.bytesIn += chunk.length;
    if (this.cutLine) {
      this.r.cutDropped += chunk.length;
      return;
    }
    let data = this.impair(chunk);
    if (this.stalled && this.stallDrops) {
      const keep = Math.min(this.stallFifoLeft, data.length);
      this.stallFifoLeft -= keep;
      this.r.stallDropped += data.length - keep;
      data = data.subarray(0, keep);
    }
    this.enqueue(data);
  }

  /** Bytes put on the line as if from nowhere (noise, a console), subject to cut and delay only. */
  inject(bytes: Uint8Array, kind: 'garbage' | 'console'): void {
    if (this.closed || this.cutLine) return;
    if (kind === 'garbage') {
      this.r.garbageBursts++;
      this.r.garbageBytes += bytes.length;
    } else {
      this.r.consoleLines++;
      this.r.consoleBytes += bytes.length;
    }
    this.enqueue(Buffer.from(bytes));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  // ---------------------------------------------------------------------------- impairment

  private impair(chunk: Uint8Array): Buffer {
    const f = this.faults;
    const drop = f.dropRate ?? 0;
    const corrupt = f.corruptRate ?? 0;
    const dup = f.duplicateRate ?? 0;
    const garbage = f.garbageRate ?? 0;
    const consoleRate = f.consoleRate ?? 0;
    if (drop + corrupt + dup + garbage + consoleRate === 0) return Buffer.from(chunk);
    const rand = this.opts.rand;
    const out: number[] = [];
    for (const byte of chunk) {
      if (drop > 0 && rand() < drop) {
        this.r.dropped++;
        continue;
      }
      let b = byte;
      if (corrupt > 0 && rand() < corrupt) {
        b ^= 1 << Math.floor(rand() * 8);
        this.r.corrupted++;
      }
      out.push(b);
      if (dup > 0 && rand() < dup) {
        out.push(b);
        this.r.duplicated++;
      }
      if (garbage > 0 && rand() < garbage) {
        const n = 1 + Math.floor(rand() * (f.garbageMaxLen ?? 32));
        for (let i = 0; i < n; i++) out.push(Math.floor(rand() * 256));
        this.r.garbageBursts++;
        this.r.garbageBytes += n;
      }
      if (consoleRate > 0 && rand() < consoleRate) {
        const line = CONSOLE_LINES[Math.floor(rand() * CONSOLE_LINES.length)] ?? '\r\n';
        const bytes = Buffer.from(line, 'latin1');
        for (const c of bytes) out.push(c);
        this.r.consoleLines++;
        this.r.consoleBytes += bytes.length;
      }
    }
    return Buffer.from(out);
  }

  // ---------------------------------------------------------------------------- delivery

  private enqueue(data: Buffer): void {
    if (data.length === 0) return;
    const room = this.maxQueued - this.queuedBytes;
    if (data.length > room) {
      this.r.overflowDropped += data.length - Math.max(0, room);
      if (room <= 0) return;
      data = data.subarray(0, room);
    }
    const now = performance.now();
    const f = this.faults;
    const delay = (f.delayMs ?? 0) + (f.jitterMs ? this.opts.rand() * f.jitterMs : 0);
    // A UART never reorders: a chunk is due no earlier than the one before it.
    const due = Math.max(now + delay, this.lastDue);
    this.lastDue = due;
    this.queue.push({ data, due, at: now });
    this.queuedBytes += data.length;
    this.r.queuedHighWater = Math.max(this.r.queuedHighWater, this.queuedBytes);
    this.schedule();
  }

  /** Bytes per ms allowed by the baud rate (8N1), or Infinity. */
  private get bytesPerMs(): number {
    const baud = this.faults.baudRate ?? 0;
    return baud > 0 ? baud / 10 / 1000 : Infinity;
  }

  private refill(now: number): void {
    const rate = this.bytesPerMs;
    if (rate === Infinity) return;
    // Bucket depth: a few ms of line time (at least one byte), so timer granularity does not
    // cost throughput while short-term bursts stay at the line rate.
    const depth = Math.max(1, rate * 4);
    this.tokens = Math.min(depth, this.tokens + (now - this.tokensAt) * rate);
    this.tokensAt = now;
  }

  private schedule(delayMs?: number): void {
    if (this.closed || this.timer) return;
    const wait = delayMs ?? this.nextWait();
    if (wait === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(0, wait));
  }

  /** How long until something can be delivered; undefined when the queue is empty. */
  private nextWait(): number | undefined {
    const head = this.queue[0];
    if (!head) return undefined;
    const now = performance.now();
    return Math.max(head.due - now, this.stalledUntil - now, 0);
  }

  private pump(): void {
    if (this.closed) return;
    const now = performance.now();
    if (now < this.stalledUntil) return this.schedule(this.stalledUntil - now);
    this.refill(now);
    const rate = this.bytesPerMs;
    const parts: Buffer[] = [];
    while (this.queue.length > 0) {
      const head = this.queue[0] as Chunk;
      if (head.due > now) break;
      let take = head.data.length;
      if (rate !== Infinity) take = Math.min(take, Math.floor(this.tokens));
      if (take <= 0) break;
      parts.push(head.data.subarray(0, take));
      this.tokens -= rate === Infinity ? 0 : take;
      this.queuedBytes -= take;
      this.r.maxLatencyMs = Math.max(this.r.maxLatencyMs, now - head.at);
      if (take === head.data.length) this.queue.shift();
      else head.data = head.data.subarray(take);
    }
    if (parts.length > 0) {
      const bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      this.r.bytesOut += bytes.length;
      this.opts.deliver(bytes);
    }
    const head = this.queue[0];
    if (!head) return;
    if (head.due > now) return this.schedule(head.due - now);
    // Waiting for tokens: the time to earn one byte (or the rest of the bucket's shortfall).
    return this.schedule(Math.max(1, (1 - this.tokens) / rate));
  }
}
