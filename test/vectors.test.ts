/**
 * The golden vectors (proto/vectors/frames.json) against the host codec, in both directions, plus
 * coverage of every (kind, op) pair of the CDDL and a drift check against scripts/gen-vectors.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type InvalidVector, type ValidVector, type VectorFile, VECTORS_PATH, buildVectors, renderVectors } from '../scripts/gen-vectors.js';
import { fromHex, toHex } from '../src/codec/fields.js';
import { messageFromJson, messageToJson } from '../src/codec/json.js';
import { DUMP_OPS, Kind, NOTIFICATION_OPS, Op, decodeMessage, encodeMessage, opName } from '../src/codec/messages.js';
import { FrameDecoder } from '../src/framing/decoder.js';
import { FrameType, encodeWire, frameTypeName, parseEncodedFrame } from '../src/framing/frame.js';
import { FrameError, MalformedMessageError } from '../src/errors.js';

const file = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as VectorFile;

/** The bytes between the two delimiters of a one-frame wire string. */
function run(v: { wire: string }): Uint8Array {
  const w = fromHex(v.wire);
  expect(w[0]).toBe(0);
  expect(w[w.length - 1]).toBe(0);
  return w.subarray(1, w.length - 1);
}

describe('frames.json', () => {
  it('is what scripts/gen-vectors.ts declares (regenerate deliberately)', () => {
    expect(readFileSync(VECTORS_PATH, 'utf8')).toBe(renderVectors(buildVectors()));
  });

  it('has unique names and the documented header', () => {
    expect(file.version).toBe(1);
    expect(file.mtu).toBe(1024);
    const names = [...file.valid, ...file.invalid].map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe.each(file.valid.map((v) => [v.name, v] as [string, ValidVector]))('valid vector %s', (_name, v) => {
  it('wire parses to its frame and payload', () => {
    const frame = parseEncodedFrame(run(v), file.mtu);
    expect({ type: frameTypeName(frame.type), seq: frame.seq, ack: frame.ack, win: frame.win }).toEqual(v.frame);
    expect(toHex(frame.payload)).toBe(v.payload);
  });

  it('frame and payload encode to exactly its wire', () => {
    const wire = encodeWire({ type: FrameType[v.frame.type], seq: v.frame.seq, ack: v.frame.ack, win: v.frame.win, payload: fromHex(v.payload) });
    expect(toHex(wire)).toBe(v.wire);
  });

  it('streams through the FrameDecoder as one frame', () => {
    const d = new FrameDecoder(file.mtu);
    const frames = d.push(fromHex(v.wire));
    expect(frames).toHaveLength(1);
    expect(d.counters()).toMatchObject({ frames: 1, garbageBytes: 0, crcErrors: 0, malformed: 0 });
  });

  if (v.message) {
    const message = v.message;
    it('payload decodes to its message, which re-encodes to the same bytes', () => {
      const decoded = decodeMessage(fromHex(v.payload));
      expect(messageToJson(decoded)).toEqual(message);
      expect(toHex(encodeMessage(decoded))).toBe(v.payload);
      expect(toHex(encodeMessage(messageFromJson(message)))).toBe(v.payload);
    });
  }
});

describe.each(file.invalid.map((v) => [v.name, v] as [string, InvalidVector]))('invalid vector %s', (_name, v) => {
  it(`is rejected with ${v.error}`, () => {
    if (v.error === 'MALFORMED') {
      const frame = parseEncodedFrame(run(v), file.mtu); // a good frame...
      expect(frame.type).toBe(FrameType.DATA);
      expect(toHex(frame.payload)).toBe(v.payload);
      expect(() => decodeMessage(frame.payload)).toThrow(MalformedMessageError); // ...with a bad message
      return;
    }
    let caught: unknown;
    try {
      parseEncodedFrame(run(v), file.mtu);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FrameError);
    expect((caught as FrameError).reason).toBe(v.error);
  });

  it('bumps the documented FrameDecoder counter and yields nothing', () => {
    const d = new FrameDecoder(file.mtu);
    const frames = d.push(fromHex(v.wire));
    const c = d.counters();
    const runLength = fromHex(v.wire).length - 2;
    switch (v.error) {
      case 'MALFORMED':
        expect(frames).toHaveLength(1); // dropped later, by the message layer
        return;
      case 'VERSION':
      case 'TYPE':
        expect(c).toMatchObject({ frames: 0, malformed: 1, garbageBytes: 0, crcErrors: 0 });
        break;
      case 'CRC':
        expect(c).toMatchObject({ frames: 0, crcErrors: 1, garbageBytes: runLength, malformed: 0 });
        break;
      default:
        expect(c).toMatchObject({ frames: 0, crcErrors: 0, garbageBytes: runLength, malformed: 0 });
    }
    expect(frames).toHaveLength(0);
  });
});

describe('vector coverage', () => {
  const messages = file.valid.flatMap((v) => (v.message ? [v.message] : []));
  const pairs = new Set(messages.map((m) => `${m.kind}/${m.op}`));
  const allOps = Object.keys(Op) as (keyof typeof Op)[];

  it('has a REQ and an answer (RSP, or ITEM and DONE for dumps) for every requestable op', () => {
    const missing: string[] = [];
    for (const op of allOps) {
      if (NOTIFICATION_OPS.has(Op[op])) continue;
      const answers = DUMP_OPS.has(Op[op]) ? ['ITEM', 'DONE'] : ['RSP'];
      for (const kind of ['REQ', ...answers]) if (!pairs.has(`${kind}/${op}`)) missing.push(`${kind}/${op}`);
    }
    expect(missing).toEqual([]);
  });

  it('has an NTF for every notification op', () => {
    const missing = [...NOTIFICATION_OPS].map((op) => opName(op)).filter((op) => !pairs.has(`NTF/${op}`));
    expect(missing).toEqual([]);
  });

  it('has the four ERR forms, DONE both ways, 64- and 32-bit event codes, edge frames', () => {
    const errs = messages.filter((m) => m.kind === 'ERR').map((m) => Object.keys(m.body).sort().join(','));
    expect(errs).toEqual(expect.arrayContaining(['1,2', '1,2,3', '1,2,3,4', '1,2,5']));
    const dones = messages.filter((m) => m.kind === 'DONE').map((m) => m.body['2']);
    expect(dones).toEqual(expect.arrayContaining([true, false]));
    const codes = messages.filter((m) => m.kind === 'NTF' && m.op === 'EVENT').map((m) => m.body['1']);
    expect(codes).toContainEqual({ $uint: 0xe030000000000001n.toString() }); // NET_EVENT_IPV4_ADDR_ADD, Zephyr 4.x
    expect(codes).toContain(0xe0040001);
    const types = new Set(file.valid.map((v) => v.frame.type));
    expect(types).toEqual(new Set(['DATA', 'ACK', 'RST', 'RST_ACK']));
    expect(file.valid.some((v) => v.frame.type === 'DATA' && fromHex(v.payload).length === file.mtu)).toBe(true);
    expect(file.valid.some((v) => v.frame.seq === 255 && v.frame.ack === 255)).toBe(true);
    expect(messages.some((m) => Object.keys(m.body).length === 0)).toBe(true);
    expect(new Set(file.invalid.map((v) => v.error))).toEqual(new Set(['CRC', 'COBS', 'SHORT', 'TYPE', 'VERSION', 'OVERSIZE', 'MALFORMED']));
  });

  it('every kind appears', () => {
    expect(new Set(messages.map((m) => m.kind))).toEqual(new Set(Object.keys(Kind)));
  });
});
