/**
 * Two linked in-memory Duplex streams: what one end writes, the other reads. For tests and for
 * running a fake board in-process.
 */
import { Duplex } from 'node:stream';

class MemoryEnd extends Duplex {
  peer: MemoryEnd | undefined;

  override _read(): void {
    // Data is pushed by the peer's writes; nothing to pull.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    // Copy so the writer may reuse its buffer; deliver asynchronously like a real port would.
    const copy = Buffer.from(chunk);
    const peer = this.peer;
    setImmediate(() => {
      if (peer && !peer.destroyed && !peer.readableEnded) peer.push(copy);
    });
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    const peer = this.peer;
    setImmediate(() => {
      if (peer && !peer.destroyed && !peer.readableEnded) peer.push(null);
    });
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    const peer = this.peer;
    if (peer && !peer.destroyed && !peer.readableEnded) peer.push(null);
    done(err);
  }
}

export function createMemoryPair(): [Duplex, Duplex] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
