/**
 * Fault-injection proxy: an in-process Duplex put between the host library and the board's line.
 *
 *   const board = await openSerialPort(h.bridgePath);
 *   const proxy = new FaultProxy(board, { seed: 7, toBoard: { corruptRate: 1e-3 }, toHost: { garbageRate: 1e-4 } });
 *   const client = await Client.open({ transport: proxy.host });
 *   proxy.stall(300); proxy.cut(); proxy.restore(); await proxy.rebootAtRandom(2000);
 *   console.log(proxy.report());
 *
 * Each direction is impaired independently (FaultLane); a seeded PRNG makes a run reproducible
 * (the byte timing of a real line is not, so outcomes are reproducible in distribution). A baud
 * rate limit (8N1) makes an emulator's pty behave like a real UART; the benchmarks use it alone.
 */
import { Duplex } from 'node:stream';
import { closeTransport } from '../../src/transport/serial.js';
import { CONSOLE_LINES, FaultLane, type LaneFaults, type LaneReport, seededRandom } from './fault-lane.js';

export { CONSOLE_LINES, type LaneFaults, type LaneReport, seededRandom } from './fault-lane.js';

export type Direction = 'toBoard' | 'toHost';

export interface FaultProxyOptions {
  /** PRNG seed; the report carries it so a run can be replayed. Default 1. */
  seed?: number;
  /** Faults on the bytes the host writes to the board. */
  toBoard?: LaneFaults;
  /** Faults on the bytes the board sends to the host. */
  toHost?: LaneFaults;
  /** Resets the board (HIL control `reset`, or a REBOOT); used by reboot() and rebootAtRandom(). */
  reboot?: () => Promise<void>;
  /** Bytes waiting for delivery per direction, at most (overflow dropped and counted). Default 1 MiB. */
  maxQueuedBytes?: number;
  /** Bytes a stalled board still takes in (its UART FIFO). Default 16. */
  stallFifoBytes?: number;
  /** Close the board transport when the proxy is closed. Default true. */
  closeBoard?: boolean;
}

export interface FaultProxyReport {
  seed: number;
  elapsedMs: number;
  toBoard: LaneReport;
  toHost: LaneReport;
  stalls: number;
  stalledMs: number;
  cuts: number;
  cutMs: number;
  reboots: number;
  rebootFailures: number;
}

export class FaultProxyError extends Error {
  readonly code: string;
  constructor(code: 'NB_FAULT_NO_REBOOT' | 'NB_FAULT_CLOSED', message: string) {
    super(message);
    this.code = code;
  }
}

/** The end the host library uses: writes go towards the board, reads come from it. */
class HostEnd extends Duplex {
  constructor(
    private readonly onWrite: (chunk: Buffer) => void,
    private readonly onDestroy: () => void,
  ) {
    super();
  }
  override _read(): void {
    // Bytes are pushed by the toHost lane as they are delivered.
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.onWrite(chunk);
    done();
  }
  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.onDestroy();
    done(err);
  }
}

export class FaultProxy {
  /** Give this to Client.open({ transport }). */
  readonly host: Duplex;
  readonly seed: number;
  private readonly lanes: Record<Direction, FaultLane>;
  private readonly started = performance.now();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly counts = { stalls: 0, stalledMs: 0, cuts: 0, cutMs: 0, reboots: 0, rebootFailures: 0 };
  private cutAt: number | undefined;
  private closed = false;
  private readonly rand: () => number;

  constructor(
    private readonly board: Duplex,
    private readonly opts: FaultProxyOptions = {},
  ) {
    this.seed = opts.seed ?? 1;
    this.rand = seededRandom(this.seed);
    // One PRNG per direction, so traffic in one direction does not change the other's faults.
    this.lanes = {
      toBoard: new FaultLane({
        rand: seededRandom(this.seed * 2 + 1),
        deliver: (bytes) => {
          if (!board.destroyed && board.writable) board.write(bytes);
        },
        maxQueuedBytes: opts.maxQueuedBytes,
        stallFifoBytes: opts.stallFifoBytes,
        stallDrops: true, // a board busy erasing flash overruns its RX FIFO
      }),
      toHost: new FaultLane({
        rand: seededRandom(this.seed * 2 + 2),
        deliver: (bytes) => {
          if (!this.host.destroyed && !this.host.readableEnded) this.host.push(bytes);
        },
        maxQueuedBytes: opts.maxQueuedBytes,
        stallDrops: false, // it simply sends nothing until the erase is over
      }),
    };
    this.lanes.toBoard.configure(opts.toBoard ?? {});
    this.lanes.toHost.configure(opts.toHost ?? {});
    this.host = new HostEnd(
      (chunk) => this.lanes.toBoard.write(chunk),
      () => void this.close(),
    );
    board.on('data', this.onBoardData);
    board.on('error', this.onBoardError);
    board.on('close', this.onBoardClose);
  }

  private readonly onBoardData = (chunk: Buffer) => this.lanes.toHost.write(chunk);
  private readonly onBoardError = (err: Error) => {
    if (!this.host.destroyed) this.host.destroy(err);
  };
  private readonly onBoardClose = () => {
    if (!this.host.destroyed && !this.host.readableEnded) this.host.push(null);
  };

  /** Replaces one direction's faults (or both with 'both'). */
  configure(direction: Direction | 'both', faults: LaneFaults): void {
    for (const d of dirs(direction)) this.lanes[d].configure(faults);
  }

  /** Changes some of one direction's faults, keeping the others. */
  update(direction: Direction | 'both', faults: LaneFaults): void {
    for (const d of dirs(direction)) this.lanes[d].configure({ ...this.lanes[d].current, ...faults });
  }

  faults(direction: Direction): LaneFaults {
    return this.lanes[direction].current;
  }

  /**
   * The line stops for ms, as when the board erases flash with interrupts off: the board sends
   * nothing (its bytes wait) and takes in only its FIFO's worth of what the host sends.
   */
  stall(ms: number): void {
    this.counts.stalls++;
    this.counts.stalledMs += ms;
    this.lanes.toBoard.stall(ms);
    this.lanes.toHost.stall(ms);
  }

  /** Cuts the cable: everything in flight and sent until restore() is lost, both ways. */
  cut(): void {
    if (this.cutAt !== undefined) return;
    this.counts.cuts++;
    this.cutAt = performance.now();
    this.lanes.toBoard.cut();
    this.lanes.toHost.cut();
  }

  restore(): void {
    if (this.cutAt === undefined) return;
    this.counts.cutMs += performance.now() - this.cutAt;
    this.cutAt = undefined;
    this.lanes.toBoard.restore();
    this.lanes.toHost.restore();
  }

  get isCut(): boolean {
    return this.cutAt !== undefined;
  }

  /** Puts random bytes (0x00 included unless noZeros) on the line now. */
  injectGarbage(direction: Direction, length: number, noZeros = false): void {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const b = Math.floor(this.rand() * 256);
      bytes[i] = noZeros && b === 0 ? 1 : b;
    }
    this.lanes[direction].inject(bytes, 'garbage');
  }

  /** Puts console text on the line now (default: a random Zephyr-like log line). */
  injectConsole(direction: Direction, text?: string): void {
    const line = text ?? CONSOLE_LINES[Math.floor(this.rand() * CONSOLE_LINES.length)] ?? '\r\n';
    this.lanes[direction].inject(Buffer.from(line.replace(/\0/g, ''), 'latin1'), 'console');
  }

  /** Resets the board now through the `reboot` option. */
  async reboot(): Promise<void> {
    if (!this.opts.reboot) throw new FaultProxyError('NB_FAULT_NO_REBOOT', 'FaultProxy has no reboot function');
    if (this.closed) throw new FaultProxyError('NB_FAULT_CLOSED', 'FaultProxy is closed');
    try {
      await this.opts.reboot();
      this.counts.reboots++;
    } catch (err) {
      this.counts.rebootFailures++;
      throw err;
    }
  }

  /** Resets the board at a random moment within the next withinMs (seeded); resolves once done. */
  rebootAtRandom(withinMs: number, minMs = 0): Promise<number> {
    const at = minMs + this.rand() * Math.max(0, withinMs - minMs);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.reboot().then(() => resolve(at), reject);
      }, at);
      this.timers.add(t);
    });
  }

  /** A random number from the proxy's seeded PRNG (for tests that pick moments and sizes). */
  random(): number {
    return this.rand();
  }

  report(): FaultProxyReport {
    const cutMs = this.counts.cutMs + (this.cutAt !== undefined ? performance.now() - this.cutAt : 0);
    return {
      seed: this.seed,
      elapsedMs: performance.now() - this.started,
      toBoard: this.lanes.toBoard.report(),
      toHost: this.lanes.toHost.report(),
      ...this.counts,
      cutMs,
    };
  }

  /** Stops the lanes and timers; closes the board transport unless closeBoard is false. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.lanes.toBoard.close();
    this.lanes.toHost.close();
    this.board.off('data', this.onBoardData);
    this.board.off('close', this.onBoardClose);
    this.board.on('error', () => {}); // late errors of a closing port are not ours
    this.board.off('error', this.onBoardError);
    if (!this.host.destroyed) this.host.destroy();
    if (this.opts.closeBoard ?? true) await closeTransport(this.board);
  }
}

/** One line per direction, for logs and docs. */
export function formatFaultReport(r: FaultProxyReport): string {
  const lane = (name: string, l: LaneReport) =>
    `${name}: ${l.bytesIn} B in, ${l.bytesOut} B out, dropped ${l.dropped}, corrupted ${l.corrupted}, ` +
    `duplicated ${l.duplicated}, garbage ${l.garbageBursts} bursts/${l.garbageBytes} B, console ${l.consoleLines} lines, ` +
    `lost to cut ${l.cutDropped}/stall ${l.stallDropped}/overflow ${l.overflowDropped}, max latency ${l.maxLatencyMs.toFixed(0)} ms`;
  return [
    `fault proxy seed ${r.seed}, ${(r.elapsedMs / 1000).toFixed(1)} s: ${r.stalls} stalls (${r.stalledMs} ms), ` +
      `${r.cuts} cuts (${r.cutMs.toFixed(0)} ms), ${r.reboots} reboots (${r.rebootFailures} failed)`,
    `  ${lane('to board', r.toBoard)}`,
    `  ${lane('to host ', r.toHost)}`,
  ].join('\n');
}

function dirs(d: Direction | 'both'): Direction[] {
  return d === 'both' ? ['toBoard', 'toHost'] : [d];
}
