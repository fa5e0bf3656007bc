import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CborValue } from '../src/codec/cbor.js';
import { fromHex, toHex } from '../src/codec/fields.js';
import { cborToJson, jsonToCbor } from '../src/codec/json.js';
import { Kind, type Message, Op, decodeMessage, encodeMessage, opByName, opName } from '../src/codec/messages.js';
import { SCHEMA_HASH_HEX } from '../src/codec/schema.js';
import {
  errBody,
  featureBitsOf,
  featureNames,
  helloResponseBody,
  parseErrBody,
  parseHelloResponse,
  parseOverrun,
  parseStatsResponse,
  statsResponseBody,
} from '../src/codec/session-bodies.js';
import { ZEPHYR_ERRNO, errnoName, errnoNumber } from '../src/errno.js';
import { MalformedMessageError, ProtocolError } from '../src/errors.js';

const repoRoot = join(import.meta.dirname, '..');

describe('schema hash', () => {
  it('is the first 8 bytes of SHA-256 of proto/netbridge.cddl (update src/codec/schema.ts when the schema changes)', () => {
    const digest = createHash('sha256').update(readFileSync(join(repoRoot, 'proto', 'netbridge.cddl'))).digest('hex');
    expect(SCHEMA_HASH_HEX).toBe(digest.slice(0, 16));
  });
});

describe('Kind and Op mirror the CDDL', () => {
  const cddl = readFileSync(join(repoRoot, 'proto', 'netbridge.cddl'), 'utf8');
  const block = (name: string) => {
    const m = new RegExp(`^${name} = &\\(([\\s\\S]*?)^\\)`, 'm').exec(cddl);
    if (!m?.[1]) throw new Error(`no ${name} block in the CDDL`);
    const out: Record<string, number> = {};
    for (const [, n, v] of m[1].replace(/;.*$/gm, '').matchAll(/([A-Z0-9_]+):\s*(0x[0-9a-fA-F]+|\d+)/g)) {
      out[n as string] = Number(v);
    }
    return out;
  };

  it('Op has exactly the ops of the CDDL, with the same numbers', () => {
    expect({ ...Op }).toEqual(block('op'));
  });

  it('Kind has exactly the kinds of the CDDL', () => {
    expect({ ...Kind }).toEqual(block('kind'));
  });

  it('names ops both ways, unknown ones in hex', () => {
    expect(opName(Op.GETADDRINFO)).toBe('GETADDRINFO');
    expect(opName(0x7f)).toBe('0x7f');
    expect(opByName('SOCK_DATA')).toBe(0x35);
    expect(opByName('toString')).toBeUndefined();
  });
});

describe('message codec', () => {
  it.each([
    ['not an array', 'a0', /not an array/],
    ['3 items', '83000201', /3 items/],
    ['5 items', '85000201a000', /5 items/],
    ['kind 6', '84060201a0', /unknown kind/],
    ['negative op', '84002001a0', /not a uint/],
    ['text op', '8400616101a0', /not a uint/],
    ['id beyond uint32', '8400021b0000000100000000a0', /uint32/],
    ['negative id', '84000220a0', /uint32/],
    ['body array', '8400020180', /not a map/],
    ['body null', '84000201f6', /not a map/],
  ])('rejects a message that is %s', (_what, hex, message) => {
    expect(() => decodeMessage(fromHex(hex))).toThrow(MalformedMessageError);
    expect(() => decodeMessage(fromHex(hex))).toThrow(message);
  });

  it('keeps unknown ops (a newer board) as numbers', () => {
    const m = decodeMessage(fromHex('84051864 05a0'.replace(' ', '')));
    expect(m).toEqual({ kind: Kind.NTF, op: 100, id: 5, body: new Map() });
  });

  it('refuses to encode an id beyond uint32 or a body that is not a Map', () => {
    expect(() => encodeMessage({ kind: Kind.REQ, op: Op.PING, id: 2 ** 32, body: new Map() })).toThrow(MalformedMessageError);
    expect(() => encodeMessage({ kind: Kind.REQ, op: Op.PING, id: 1, body: {} as never })).toThrow(MalformedMessageError);
  });

  const bodyValue: fc.Arbitrary<CborValue> = fc.oneof(
    fc.nat(),
    fc.integer({ min: -1000, max: -1 }),
    fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
    fc.string({ maxLength: 20 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.boolean(),
    fc.array(fc.nat(), { maxLength: 4 }),
  );
  const message: fc.Arbitrary<Message> = fc.record({
    kind: fc.constantFrom(...Object.values(Kind)),
    op: fc.constantFrom(...Object.values(Op)),
    id: fc.nat({ max: 0xffffffff }),
    body: fc.uniqueArray(fc.tuple(fc.nat({ max: 300 }), bodyValue), { maxLength: 8, selector: ([k]) => k }).map((e) => new Map(e)),
  });

  it('round-trips arbitrary messages, and through the vectors JSON form', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeMessage(m);
        const back = decodeMessage(bytes);
        expect(back.kind).toBe(m.kind);
        expect(back.op).toBe(m.op);
        expect(back.id).toBe(m.id);
        expect(back.body).toEqual(m.body);
        expect(toHex(encodeMessage(back))).toBe(toHex(bytes));
        const viaJson = jsonToCbor(JSON.parse(JSON.stringify(cborToJson(back.body))));
        expect(toHex(encodeMessage({ ...back, body: viaJson as Map<number, CborValue> }))).toBe(toHex(bytes));
      }),
      { numRuns: 300 },
    );
  });
});

describe('session bodies', () => {
  const info = {
    version: 1,
    schemaHash: SCHEMA_HASH_HEX,
    mtu: 512,
    window: 4,
    featureBits: 0b1000_0011,
    features: ['events', 'sockets', 'shared-console'],
    board: 'qemu_cortex_m3',
    zephyrVersion: '4.1.99',
    firmwareVersion: '0.1.0',
    bootId: '0102030405060708',
    limits: { maxSockets: 4, maxSubscriptions: 2, eventQueue: 8, txQueue: 4, rxBuffer: 1024 },
    uptimeMs: 99,
  };

  it('HELLO response round-trips and names the feature bits', () => {
    expect(parseHelloResponse(helloResponseBody(info))).toEqual(info);
    expect(featureNames(0b1_0000_0000_0001)).toEqual(['events', 'bit12']);
    expect(featureBitsOf(['tls', 'dns'])).toBe(0b1100);
  });

  it('HELLO response with a missing key or a short boot id is a ProtocolError naming the key', () => {
    const noBoard = helloResponseBody(info);
    noBoard.delete(6);
    expect(() => parseHelloResponse(noBoard)).toThrow(/key 6/);
    const shortBoot = helloResponseBody(info);
    shortBoot.set(9, new Uint8Array(4));
    expect(() => parseHelloResponse(shortBoot)).toThrow(ProtocolError);
    expect(() => parseHelloResponse(shortBoot)).toThrow(/key 9 should be a bstr of 8 bytes/);
  });

  it('STATS maps counter keys to names and keeps unknown keys', () => {
    const body = statsResponseBody({ framesIn: 3, garbageBytes: 40, socketsOpen: 2 });
    body.set(99, 7);
    expect(parseStatsResponse(body)).toEqual({ framesIn: 3, garbageBytes: 40, socketsOpen: 2, counter99: 7 });
  });

  it('ERR bodies: optional keys stay absent, the name falls back to the errno table', () => {
    expect(parseErrBody(errBody({ errno: 22, name: 'EINVAL', field: 2 }))).toEqual({ errno: 22, name: 'EINVAL', field: 2 });
    expect(parseErrBody(new Map([[1, 116]]))).toEqual({ errno: 116, name: 'ETIMEDOUT' });
    expect(() => parseErrBody(new Map([[2, 'EINVAL']]))).toThrow(ProtocolError);
  });

  it('OVERRUN names what was dropped', () => {
    expect(parseOverrun(new Map([[1, 2], [2, 5], [3, 9]]))).toEqual({ what: 'socket-data', whatCode: 2, count: 5, total: 9 });
    expect(parseOverrun(new Map([[1, 7], [2, 1], [3, 1]])).what).toBe('7');
  });
});

describe('Zephyr errno table', () => {
  it('names numbers and numbers names with Zephyr values, not Linux ones', () => {
    expect(errnoName(116)).toBe('ETIMEDOUT');
    expect(errnoName(-134)).toBe('ENOTSUP');
    expect(errnoName(9999)).toBe('E9999');
    expect(errnoNumber('EADDRINUSE')).toBe(112);
    expect(errnoNumber('EWOULDBLOCK')).toBe(11);
    expect(errnoNumber('NOPE')).toBeUndefined();
  });

  const header = join(process.env.ZEPHYR_BASE ?? join(homedir(), 'zephyrproject', 'zephyr'), 'lib/libc/minimal/include/errno.h');
  let text: string | undefined;
  try {
    text = readFileSync(header, 'utf8');
  } catch {
    text = undefined;
  }
  it.skipIf(text === undefined)('matches errno.h of the Zephyr workspace', () => {
    const fromHeader = Object.fromEntries([...(text as string).matchAll(/#define (E[A-Z0-9]+)\s+(\d+)\b/g)].map(([, n, v]) => [n, Number(v)]));
    expect({ ...ZEPHYR_ERRNO }).toEqual(fromHeader);
  });
});
