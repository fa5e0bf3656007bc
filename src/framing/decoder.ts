/**
 * Streaming receiver (PROTOCOL.md §1.1): takes arbitrary chunks, splits at 0x00, and yields the
 * frames among the runs. Everything else (console text, torn frames, noise) is counted, never
 * delivered. The buffer is bounded by the largest legal encoded frame; a longer run is discarded
 * as it arrives.
 */
import { FrameError } from '../errors.js';
import { DEFAULT_MTU, type Frame, maxEncodedFrameSize, parseEncodedFrame } from './frame.js';

export interface FrameDecoderCounters {
  /** Valid frames yielded. */
  frames: number;
  /** Bytes of runs that were not frames (COBS, SHORT, CRC, OVERSIZE). */
  garbageBytes: number;
  /** Runs that decoded to a frame-sized block with a wrong CRC. */
  crcErrors: number;
  /** Frames with an unknown link version or type (or a control payload that does not fit). */
  malformed: number;
  /** Runs longer than the largest legal frame. */
  oversize: number;
}

export class FrameDecoder {
  readonly maxRun: number;
  private readonly buf: Uint8Array;
  private len = 0;
  /** Inside a run that already exceeded the bound: drop until the next 0x00. */
  private discarding = false;
  private readonly stats: FrameDecoderCounters = { frames: 0, garbageBytes: 0, crcErrors: 0, malformed: 0, oversize: 0 };

  constructor(
    readonly mtu: number = DEFAULT_MTU,
    /** Told about every rejected run (diagnostics); optional. */
    private readonly onReject?: (err: FrameError, run: Uint8Array) => void,
  ) {
    this.maxRun = maxEncodedFrameSize(mtu);
    this.buf = new Uint8Array(this.maxRun);
  }

  counters(): FrameDecoderCounters {
    return { ...this.stats };
  }

  /** Bytes held from an unfinished run. */
  get pending(): number {
    return this.len;
  }

  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    while (start < chunk.length) {
      const zero = chunk.indexOf(0, start);
      const end = zero === -1 ? chunk.length : zero;
      this.collect(chunk.subarray(start, end));
      if (zero === -1) break;
      const frame = this.endRun();
      if (frame) frames.push(frame);
      start = zero + 1;
    }
    return frames;
  }

  /** Forgets an unfinished run (e.g. after a port reopen). It is counted as garbage. */
  reset(): void {
    this.stats.garbageBytes += this.len;
    this.len = 0;
    this.discarding = false;
  }

  private collect(part: Uint8Array): void {
    if (part.length === 0) return;
    if (this.discarding) {
      this.stats.garbageBytes += part.length;
      return;
    }
    if (this.len + part.length > this.maxRun) {
      this.stats.garbageBytes += this.len + part.length;
      this.stats.oversize++;
      this.onReject?.(new FrameError('OVERSIZE', `run longer than ${this.maxRun} bytes`), this.buf.slice(0, this.len));
      this.len = 0;
      this.discarding = true;
      return;
    }
    this.buf.set(part, this.len);
    this.len += part.length;
  }

  private endRun(): Frame | undefined {
    const wasDiscarding = this.discarding;
    this.discarding = false;
    const n = this.len;
    this.len = 0;
    if (wasDiscarding || n === 0) return undefined; // already counted, or an empty run (ignored)
    const run = this.buf.subarray(0, n);
    try {
      const frame = parseEncodedFrame(run, this.mtu);
      this.stats.frames++;
      return frame;
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      if (err.reason === 'VERSION' || err.reason === 'TYPE') {
        this.stats.malformed++;
      } else {
        this.stats.garbageBytes += n;
        if (err.reason === 'CRC') this.stats.crcErrors++;
        if (err.reason === 'OVERSIZE') this.stats.oversize++;
      }
      this.onReject?.(err, run.slice());
      return undefined;
    }
  }
}
