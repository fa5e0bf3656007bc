/**
 * The shared-console tap (hil/lib/line-tap.ts): it sorts what the board sends into frames and
 * text without changing a byte, and shows text that sat between frames.
 */
import { describe, expect, it } from 'vitest';
import { LineSplitter, LineTap } from '../hil/lib/line-tap.js';
import { FrameType, encodeWire } from '../src/framing/frame.js';
import { Client } from '../src/session/client.js';
import { createMemoryPair } from '../src/transport/memory.js';
import { FakeBoard } from './helpers/fake-board.js';

const ack = (ackNo: number) => encodeWire({ type: FrameType.ACK, seq: 0, ack: ackNo, win: 4, payload: new Uint8Array(0) });
const text = (s: string) => new TextEncoder().encode(s);
const LOG = '\x1b[0m[00:00:01.234,000] <inf> netbridge: link reset\x1b[0m\r\n';

describe('LineSplitter', () => {
  it('tells frames from log text and counts the text that sat between frames', () => {
    const s = new LineSplitter();
    s.push(text(LOG)); // before any frame: text, but not between frames
    s.push(ack(1));
    s.push(text('*** Booting Zephyr OS build v4.1.99 ***\r\n'));
    s.push(ack(2));
    s.push(ack(3));
    const st = s.stats();
    expect(st.frames).toBe(3);
    expect(st.textRuns).toBe(2);
    expect(st.interleavedTextRuns).toBe(1);
    expect(st.otherRuns).toBe(0);
    // colour escapes removed, text in order
    expect(s.text()).toBe('[00:00:01.234,000] <inf> netbridge: link reset\r\n*** Booting Zephyr OS build v4.1.99 ***\r\n');
  });

  it('joins a log line cut in two by a frame, whatever the chunking', () => {
    const line = Uint8Array.from([...text('<inf> netbridge: link re'), ...ack(5), ...text('set\r\n'), ...ack(6)]);
    for (const size of [1, 3, 7, line.length]) {
      const s = new LineSplitter();
      for (let i = 0; i < line.length; i += size) s.push(line.subarray(i, i + size));
      expect(s.text(), `chunks of ${size}`).toBe('<inf> netbridge: link reset\r\n');
      expect(s.stats().frames).toBe(2);
      expect(s.stats().interleavedTextRuns).toBe(1);
    }
  });

  it('keeps the log text of a frame torn by it, and does not count the torn frame as a frame', () => {
    const f = ack(9);
    const torn = Uint8Array.from([...f.subarray(0, 4), ...text('<wrn> net_if: carrier lost'), ...f.subarray(4)]);
    const s = new LineSplitter();
    s.push(torn);
    expect(s.stats()).toMatchObject({ frames: 0, otherRuns: 1, textRuns: 0 });
    expect(s.text()).toContain('<wrn> net_if: carrier lost');
  });

  it('bounds a run with no delimiter and the retained text', () => {
    const s = new LineSplitter();
    s.push(new Uint8Array(40_000).fill(0x41));
    s.push(Uint8Array.of(0));
    expect(s.stats().oversizeBytes).toBe(40_000 - 16 * 1024);
    expect(s.stats().otherRuns).toBe(1);
    for (let i = 0; i < 400; i++) s.push(Uint8Array.from([...text(`${'x'.repeat(1000)}\n`), 0]));
    expect(s.text().length).toBe(256 * 1024);
    expect(s.stats().textDropped).toBe(400 * 1001 - 256 * 1024);
    const m = s.mark();
    s.push(Uint8Array.from([...text('tail'), 0]));
    expect(s.textSince(m)).toBe('tail');
  });
});

describe('LineTap', () => {
  it('passes a session through unchanged while the board logs between its frames', async () => {
    const [hostSide, boardSide] = createMemoryPair();
    const board = new FakeBoard(boardSide);
    const tap = new LineTap(hostSide);
    const client = await Client.open({ transport: tap, timeout: 5000 });
    // The board's log lines go out on the same line while answers are in flight.
    const logger = setInterval(() => boardSide.write(Buffer.from(LOG)), 2);
    const payloads = Array.from({ length: 50 }, (_, i) => Uint8Array.from({ length: 20 + i }, (_, k) => (k * 7 + i) & 0xff));
    const results = await Promise.all(payloads.map((p) => client.ping(p)));
    clearInterval(logger);
    for (const [i, r] of results.entries()) expect(Buffer.from(r.data).equals(Buffer.from(payloads[i] as Uint8Array))).toBe(true);
    const st = tap.splitter.stats();
    expect(st.frames).toBeGreaterThanOrEqual(50);
    expect(st.interleavedTextRuns).toBeGreaterThan(0);
    expect(tap.splitter.text()).toContain('<inf> netbridge: link reset');
    // The host counted every text byte the tap saw as garbage; none reached a message.
    expect(client.counters().garbageBytes).toBeGreaterThanOrEqual(st.textBytes);
    await client.close();
    await tap.close();
    expect(tap.destroyed).toBe(true);
    expect(hostSide.destroyed).toBe(true);
    board.link.close();
  });
});
