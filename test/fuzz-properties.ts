/**
 * Properties the host's decoders must hold for any input, shared by the unit tier (a few thousand
 * cases, test/fuzz.test.ts) and the long run outside CI (a million cases, test/fuzz-host.ts):
 * decoding never throws anything but a typed NetbridgeError, never buffers beyond its bound, and
 * whatever decodes re-encodes to the same bytes (the encoding is canonical, so it is unique).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { CborMap } from '../src/codec/cbor.js';
import { decodeCbor, encodeCbor } from '../src/codec/cbor.js';
import { decodeMessage, encodeMessage } from '../src/codec/messages.js';
import {
  parseDone,
  parseErrBody,
  parseHelloRequest,
  parseHelloResponse,
  parseLog,
  parseOverrun,
  parsePingBody,
  parseSinkResponse,
  parseStatsResponse,
} from '../src/codec/session-bodies.js';
import { NetbridgeError } from '../src/errors.js';
import { FrameDecoder } from '../src/framing/decoder.js';
import { encodeWire, parseEncodedFrame } from '../src/framing/frame.js';
import { parseEventNotification, parseIfaceItem, parseSubscribeBody } from '../src/netmgmt/bodies.js';

const vectorsUrl = new URL('../proto/vectors/frames.json', import.meta.url);

interface VectorFile {
  valid: { wire: string; payload?: string }[];
  invalid: { wire: string }[];
}

const hexBytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const vectors = JSON.parse(readFileSync(vectorsUrl, 'utf8')) as VectorFile;
const validWires = vectors.valid.map((v) => hexBytes(v.wire));
const allWires = [...validWires, ...vectors.invalid.map((v) => hexBytes(v.wire))];
const payloads = vectors.valid.flatMap((v) => (v.payload ? [hexBytes(v.payload)] : []));

/** Rethrows anything that is not a typed library error: that is a finding. */
function typedOnly<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NetbridgeError) return undefined;
    throw err;
  }
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** A byte array made by mutating a known-good one: flips, insertions, deletions, truncation. */
function mutated(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    )
    .map(([seed, edits]) => {
      const out = [...seed];
      for (const [at, op, byte] of edits) {
        const i = out.length ? at % out.length : 0;
        if (op === 0) out[i] = byte;
        else if (op === 1) out.splice(i, 0, byte);
        else if (op === 2) out.splice(i, 1);
        else out.length = i;
      }
      return Uint8Array.from(out);
    });
}

const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.uint8Array({ maxLength: 600 }),
  fc.constantFrom(...payloads),
);

/** CBOR-ish values to build maps the body parsers see after a successful message decode. */
const cborValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer({ min: -1000, max: 70000 }),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    fc.string({ maxLength: 12 }),
    fc.uint8Array({ maxLength: 20 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('map'),
  ),
  map: fc
    .array(fc.tuple(fc.integer({ min: 0, max: 14 }), tie('value')), { maxLength: 8 })
    .map((entries) => new Map([...entries].sort((a, b) => a[0] - b[0]))),
})).value;

const anyMap = cborValue.filter((v): v is CborMap => v instanceof Map);

export interface NamedProperty {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each property has its own input tuple
  property: fc.IRawProperty<any>;
}

export function properties(): NamedProperty[] {
  return [
    {
      name: 'CBOR: any bytes decode to a value that re-encodes identically, or fail typed',
      property: fc.property(fc.oneof(anyBytes, mutated(payloads)), (bytes) => {
        const v = typedOnly(() => decodeCbor(bytes));
        if (v !== undefined) return same(encodeCbor(v), bytes);
        return true;
      }),
    },
    {
      name: 'message: any payload decodes to a message that re-encodes identically, or fails typed',
      property: fc.property(fc.oneof(anyBytes, mutated(payloads)), (bytes) => {
        const m = typedOnly(() => decodeMessage(bytes));
        if (m !== undefined) return same(encodeMessage(m), bytes);
        return true;
      }),
    },
    {
      name: 'frame: any run parses to a frame that re-encodes to the same run, or fails typed',
      property: fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), mutated(allWires)), (bytes) => {
        const run = bytes.filter((b) => b !== 0);
        const f = typedOnly(() => parseEncodedFrame(run, 256));
        if (f !== undefined) return same(encodeWire(f), Uint8Array.from([0, ...run, 0]));
        return true;
      }),
    },
    {
      name: 'stream decoder: any chunks never throw, stay within the bound and account for every byte',
      property: fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated(allWires), fc.constantFrom(...validWires)), {
          maxLength: 12,
        }),
        (chunks) => {
          const d = new FrameDecoder(64);
          let frames = 0;
          for (const c of chunks) {
            frames += d.push(c).length;
            if (d.pending > d.maxRun) return false;
          }
          const k = d.counters();
          return k.frames === frames && k.garbageBytes >= 0 && k.oversize <= k.garbageBytes;
        },
      ),
    },
    {
      name: 'body parsers: any map parses or fails with a typed error',
      property: fc.property(anyMap, (m) => {
        for (const parse of [
          parseHelloRequest,
          parseHelloResponse,
          parsePingBody,
          parseSinkResponse,
          parseStatsResponse,
          parseOverrun,
          parseLog,
          parseErrBody,
          parseDone,
          parseEventNotification,
          parseIfaceItem,
          parseSubscribeBody,
        ] as ((m: CborMap) => unknown)[]) {
          typedOnly(() => parse(m));
        }
        return true;
      }),
    },
  ];
}
