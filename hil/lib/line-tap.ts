/**
 * A transparent tap on the bridge line for the shared-console build: it passes every byte through
 * unchanged and, on the side, sorts what the board sent into frames and the text between them.
 * That is how the HIL suite shows that the board's log lines really travel on the bridge UART,
 * between frames, while the session loses nothing.
 *
 *   const tap = new LineTap(await openSerialPort(h.bridgePath));
 *   const client = await Client.open({ transport: tap });
 *   ... tap.splitter.text(), tap.splitter.stats()
 *   await client.close(); await tap.close();   // a given transport is the caller's to close
 */
import { Duplex } from 'node:stream';
import { parseEncodedFrame } from '../../src/index.js';
import { closeTransport } from '../../src/transport/serial.js';

export interface LineSplitStats {
  /** Runs that are valid frames (COBS + CRC + header). */
  frames: number;
  /** Runs that are text (printable, as a log or shell line is). */
  textRuns: number;
  textBytes: number;
  /** Runs that are neither: frames torn by text, noise. */
  otherRuns: number;
  otherBytes: number;
  /** Text runs with a frame before them and a frame after them on the line. */
  interleavedTextRuns: number;
  /** Bytes of a run longer than the bound, discarded as they came. */
  oversizeBytes: number;
  /** Text characters dropped from the retained view (oldest first). */
  textDropped: number;
}

/** The longest run kept for classification; a longer one is neither a frame nor a log line. */
const MAX_RUN = 16 * 1024;
/** Text retained for text(); older text is dropped and counted. */
const TEXT_LIMIT = 256 * 1024;
/** A run is text when at least this share of its bytes is printable (log colours included). */
const TEXT_SHARE = 0.9;
/** Inside a torn frame, printable stretches at least this long are kept as text too. */
const MIN_STRETCH = 8;

const isTextByte = (b: number) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09 || b === 0x1b;

export class LineSplitter {
  private run: number[] = [];
  private runOversize = false;
  private view = '';
  private total = 0;
  private textSinceFrame = 0;
  private seenFrame = false;
  private readonly s: LineSplitStats = {
    frames: 0,
    textRuns: 0,
    textBytes: 0,
    otherRuns: 0,
    otherBytes: 0,
    interleavedTextRuns: 0,
    oversizeBytes: 0,
    textDropped: 0,
  };

  /** @param mtu the largest frame payload to accept as a frame (the board's MTU or more) */
  constructor(private readonly mtu = 65535) {}

  push(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b === 0) {
        this.endRun();
        continue;
      }
      if (this.run.length >= MAX_RUN) {
        this.runOversize = true;
        this.s.oversizeBytes++;
        continue;
      }
      this.run.push(b);
    }
  }

  /** The board's text seen on the line so far (colour escapes removed), the newest TEXT_LIMIT characters. */
  text(): string {
    return this.view;
  }

  /** Characters of text seen in all: a mark for textSince(). */
  mark(): number {
    return this.total;
  }

  /** Text that arrived after mark() returned `since` (as much of it as is still retained). */
  textSince(since: number): string {
    return this.view.slice(Math.max(0, since - (this.total - this.view.length)));
  }

  stats(): LineSplitStats {
    return { ...this.s };
  }

  private endRun(): void {
    const run = Uint8Array.from(this.run);
    const oversize = this.runOversize;
    this.run = [];
    this.runOversize = false;
    if (run.length === 0 && !oversize) return;
    if (oversize) {
      this.s.otherRuns++;
      this.s.otherBytes += run.length;
      return;
    }
    if (this.isFrame(run)) {
      this.s.frames++;
      if (this.seenFrame) this.s.interleavedTextRuns += this.textSinceFrame;
      this.seenFrame = true;
      this.textSinceFrame = 0;
      return;
    }
    const printable = run.reduce((n, b) => n + (isTextByte(b) ? 1 : 0), 0);
    if (printable >= TEXT_SHARE * run.length) {
      this.s.textRuns++;
      this.s.textBytes += run.length;
      this.textSinceFrame++;
      this.append(Buffer.from(run).toString('latin1'));
      return;
    }
    this.s.otherRuns++;
    this.s.otherBytes += run.length;
    // A log line written while a frame was on the line sits inside the torn frame's run.
    const stretches = Buffer.from(run.map((b) => (isTextByte(b) ? b : 0))).toString('latin1').split('\0');
    for (const t of stretches) if (t.length >= MIN_STRETCH) this.append(t);
  }

  private isFrame(run: Uint8Array): boolean {
    try {
      parseEncodedFrame(run, this.mtu);
      return true;
    } catch {
      return false;
    }
  }

  private append(text: string): void {
    const clean = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    this.view += clean;
    this.total += clean.length;
    if (this.view.length > TEXT_LIMIT) {
      const cut = this.view.length - TEXT_LIMIT;
      this.s.textDropped += cut;
      this.view = this.view.slice(cut);
    }
  }
}

/** A Duplex for Client.open({ transport }) that forwards both ways and splits what the board sends. */
export class LineTap extends Duplex {
  readonly splitter: LineSplitter;
  private readonly onData = (chunk: Buffer) => {
    this.splitter.push(chunk);
    this.push(chunk);
  };
  private readonly onError = (err: Error) => this.destroy(err);
  private readonly onClose = () => {
    if (!this.readableEnded) this.push(null);
  };

  constructor(
    private readonly board: Duplex,
    mtu?: number,
  ) {
    super();
    this.splitter = new LineSplitter(mtu);
    board.on('data', this.onData);
    board.on('error', this.onError);
    board.on('close', this.onClose);
  }

  /** Closes the tap and the board transport under it; resolves once the port is released. */
  close(): Promise<void> {
    return closeTransport(this);
  }

  override _read(): void {
    // Bytes are pushed as the board sends them.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.board.destroyed || !this.board.writable) return done();
    this.board.write(chunk, (err) => done(err ?? null));
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.board.off('data', this.onData);
    this.board.off('close', this.onClose);
    this.board.off('error', this.onError);
    this.board.on('error', () => undefined); // late errors of a closing port are not ours
    closeTransport(this.board).then(
      () => done(err),
      () => done(err),
    );
  }
}
