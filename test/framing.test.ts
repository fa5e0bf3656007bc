import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/codec/fields.js';
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from '../src/framing/cobs.js';
import { FrameDecoder } from '../src/framing/decoder.js';
import { type Frame, FrameType, encodeFrame, encodeWire, maxEncodedFrameSize, parseFrame } from '../src/framing/frame.js';
import { FrameError } from '../src/errors.js';

describe('COBS', () => {
  // Examples from the COBS paper / Wikipedia.
  it.each([
    ['00', '0101'],
    ['0000', '010101'],
    ['001100', '01021101'],
    ['11220033', '03112202' + '33'],
    ['11223344', '0511223344'],
    ['11000000', '0211010101'],
    ['', '01'],
  ])('encodes %s as %s and back', (raw, encoded) => {
    expect(toHex(cobsEncode(fromHex(raw)))).toBe(encoded);
    expect(toHex(cobsDecode(fromHex(encoded)))).toBe(raw);
  });

  it('handles 254-byte blocks (code 0xff, no implied zero)', () => {
    const raw = new Uint8Array(600).map((_, i) => (i % 255) + 1);
    const enc = cobsEncode(raw);
    expect(enc.includes(0)).toBe(false);
    expect(enc[0]).toBe(0xff);
    expect(enc.length).toBeLessThanOrEqual(cobsMaxEncodedLength(raw.length));
    expect(cobsDecode(enc)).toEqual(raw);
  });

  it.each([
    ['a code byte 0x00', '0200'],
    ['a block running past the end', '051122'],
    ['a zero inside a block', '03110022'],
  ])('rejects %s', (_w, hex) => {
    expect(() => cobsDecode(fromHex(hex))).toThrow(FrameError);
  });

  it('round-trips arbitrary bytes within the worst-case size, never emitting 0x00', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1100 }), (raw) => {
        const enc = cobsEncode(raw);
        expect(enc.includes(0)).toBe(false);
        expect(enc.length).toBeLessThanOrEqual(cobsMaxEncodedLength(raw.length));
        expect(cobsDecode(enc)).toEqual(raw);
      }),
      { numRuns: 200 },
    );
  });
});

describe('frame', () => {
  const frame: Frame = { type: FrameType.DATA, seq: 9, ack: 200, win: 3, payload: fromHex('84000201a0') };

  it('lays out vt/seq/ack/win, payload, CRC-32 little-endian', () => {
    const raw = encodeFrame(frame);
    expect(toHex(raw.subarray(0, 4))).toBe('1109c803');
    expect(toHex(raw.subarray(4, 9))).toBe('84000201a0');
    expect(parseFrame(raw)).toEqual(frame);
  });

  it.each([
    ['SHORT', (r: Uint8Array) => r.subarray(0, 7)],
    ['CRC', (r: Uint8Array) => r.map((b, i) => (i === 5 ? b ^ 1 : b))],
    ['OVERSIZE', () => encodeFrame({ ...frame, payload: new Uint8Array(1025) })],
  ] as const)('reports %s', (reason, mutate) => {
    const bad = mutate(encodeFrame(frame));
    let err: unknown;
    try {
      parseFrame(bad, 1024);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameError);
    expect((err as FrameError).reason).toBe(reason);
  });

  it('refuses header fields that are not bytes', () => {
    expect(() => encodeFrame({ ...frame, seq: 256 })).toThrow(RangeError);
    expect(() => encodeFrame({ ...frame, win: -1 })).toThrow(RangeError);
  });

  it('bounds the encoded size to the documented overhead (15 bytes for a 1024-byte payload)', () => {
    expect(maxEncodedFrameSize(1024) + 2 - 1024).toBe(15);
    const worst = encodeWire({ ...frame, payload: new Uint8Array(1024).fill(7) });
    expect(worst.length).toBeLessThanOrEqual(1024 + 15);
  });
});

// ---------------------------------------------------------------------------------- streaming

const frames: Frame[] = [
  { type: FrameType.RST, seq: 0, ack: 0, win: 8, payload: fromHex('00000000') },
  { type: FrameType.DATA, seq: 0, ack: 0, win: 8, payload: fromHex('84000201a101420102') },
  { type: FrameType.ACK, seq: 0, ack: 1, win: 8, payload: new Uint8Array(0) },
  { type: FrameType.DATA, seq: 1, ack: 1, win: 8, payload: new Uint8Array(1024).map((_, i) => i & 0xff) },
  { type: FrameType.RST_ACK, seq: 0, ack: 0, win: 4, payload: fromHex('deadbeef') },
];
const wire = Buffer.concat(frames.map((f) => encodeWire(f)));

function feed(d: FrameDecoder, chunks: Uint8Array[]): Frame[] {
  return chunks.flatMap((c) => d.push(c));
}

describe('FrameDecoder', () => {
  it('yields every frame whatever the split point', () => {
    for (let at = 0; at <= wire.length; at++) {
      const d = new FrameDecoder();
      expect(feed(d, [wire.subarray(0, at), wire.subarray(at)])).toEqual(frames);
      expect(d.counters()).toMatchObject({ frames: frames.length, garbageBytes: 0, crcErrors: 0, malformed: 0 });
    }
  });

  it('yields every frame fed byte by byte', () => {
    const d = new FrameDecoder();
    expect(feed(d, [...wire].map((b) => Uint8Array.of(b)))).toEqual(frames);
  });

  it('skips console text and shell prompts between frames and counts them as garbage', () => {
    const log = Buffer.from('[00:00:01.000,000] <inf> net_config: Initializing network\r\n');
    const prompt = Buffer.from('uart:~$ ');
    const stream = Buffer.concat([log, encodeWire(frames[1] as Frame), prompt, encodeWire(frames[2] as Frame), log, prompt]);
    const d = new FrameDecoder();
    expect(d.push(stream)).toEqual([frames[1], frames[2]]);
    // The trailing text is still an open run until a delimiter ends it.
    expect(d.counters().garbageBytes).toBe(log.length + prompt.length);
    expect(d.pending).toBe(log.length + prompt.length);
    expect(d.push(encodeWire(frames[0] as Frame))).toEqual([frames[0]]);
    expect(d.counters()).toMatchObject({ frames: 3, garbageBytes: 2 * (log.length + prompt.length), crcErrors: 0 });
  });

  it('counts a frame torn by text written into it as a CRC error or garbage, and recovers at the next frame', () => {
    const w = encodeWire(frames[1] as Frame);
    const torn = Buffer.concat([w.subarray(0, 6), Buffer.from('<wrn> x'), w.subarray(6)]);
    const d = new FrameDecoder();
    expect(d.push(Buffer.concat([torn, encodeWire(frames[2] as Frame)]))).toEqual([frames[2]]);
    const c = d.counters();
    expect(c.frames).toBe(1);
    expect(c.garbageBytes).toBe(torn.length - 2);
  });

  it('ignores empty runs (stray 0x00 such as the Stellaris UART sends) silently', () => {
    const d = new FrameDecoder();
    expect(d.push(Buffer.concat([Buffer.alloc(5), encodeWire(frames[2] as Frame), Buffer.alloc(3)]))).toEqual([frames[2]]);
    expect(d.counters()).toMatchObject({ frames: 1, garbageBytes: 0 });
  });

  it('never buffers beyond the bound: a long run is discarded as it arrives and counted', () => {
    const d = new FrameDecoder(64);
    const noise = Buffer.alloc(10_000, 0x41);
    for (let i = 0; i < noise.length; i += 333) {
      d.push(noise.subarray(i, i + 333));
      expect(d.pending).toBeLessThanOrEqual(d.maxRun);
    }
    const small = { ...(frames[2] as Frame) };
    expect(d.push(Buffer.concat([Buffer.of(0), encodeWire(small)]))).toEqual([small]);
    expect(d.counters()).toMatchObject({ garbageBytes: 10_000, oversize: 1, frames: 1 });
  });

  it('counts unknown versions and types as malformed, not garbage', () => {
    const withVt = (vt: number) => {
      const raw = encodeFrame(frames[2] as Frame);
      raw[0] = vt;
      new DataView(raw.buffer).setUint32(raw.length - 4, crc32(raw.subarray(0, raw.length - 4)), true);
      return Buffer.concat([Buffer.of(0), cobsEncode(raw), Buffer.of(0)]);
    };
    const d = new FrameDecoder();
    expect(d.push(Buffer.concat([withVt(0x22), withVt(0x17), withVt(0x12)]))).toEqual([frames[2]]);
    expect(d.counters()).toMatchObject({ frames: 1, malformed: 2, garbageBytes: 0, crcErrors: 0 });
  });

  it('with random garbage around arbitrary payloads and arbitrary chunking, yields exactly the frames', () => {
    const payload = fc.uint8Array({ maxLength: 300 });
    const garbage = fc.uint8Array({ maxLength: 40 }).map((g) => g.map((b) => b || 1)); // 0x00 would split garbage runs
    fc.assert(
      fc.property(
        fc.array(fc.tuple(payload, garbage), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (items, sizes) => {
          const sent: Frame[] = items.map(([p], i) => ({ type: FrameType.DATA, seq: i, ack: 0, win: 4, payload: p }));
          const parts: Uint8Array[] = [];
          items.forEach(([, g], i) => parts.push(g, encodeWire(sent[i] as Frame)));
          const stream = Buffer.concat(parts);
          const chunks: Uint8Array[] = [];
          for (let at = 0, k = 0; at < stream.length; k++) {
            const n = sizes[k % sizes.length] as number;
            chunks.push(stream.subarray(at, at + n));
            at += n;
          }
          const d = new FrameDecoder(1024);
          const got = feed(d, chunks);
          // Garbage could, with tiny probability, itself be a valid frame; it would then show up here.
          expect(got).toEqual(sent);
          expect(d.counters().garbageBytes).toBe(items.reduce((n, [, g]) => n + g.length, 0));
        },
      ),
      { numRuns: 150 },
    );
  });
});
