import { Decoder } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CborValue, MAX_DEPTH, decodeCbor, encodeCbor } from '../src/codec/cbor.js';
import { fromHex, toHex } from '../src/codec/fields.js';
import { MalformedMessageError } from '../src/errors.js';

const hex = (v: unknown) => toHex(encodeCbor(v));

describe('canonical CBOR encoding', () => {
  // RFC 8949 Appendix A examples for the subset we carry.
  it.each([
    [0, '00'],
    [23, '17'],
    [24, '1818'],
    [255, '18ff'],
    [256, '190100'],
    [65535, '19ffff'],
    [65536, '1a00010000'],
    [0xffffffff, '1affffffff'],
    [0x100000000, '1b0000000100000000'],
    [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
    [18446744073709551615n, '1bffffffffffffffff'],
    [-1, '20'],
    [-24, '37'],
    [-25, '3818'],
    [-500, '3901f3'],
    [-18446744073709551616n, '3bffffffffffffffff'],
    ['', '60'],
    ['IETF', '6449455446'],
    ['ü', '62c3bc'],
    [new Uint8Array([1, 2, 3, 4]), '4401020304'],
    [[], '80'],
    [[1, [2, 3]], '8201820203'],
    [false, 'f4'],
    [true, 'f5'],
    [null, 'f6'],
  ] as [unknown, string][])('encodes %s as %s', (value, expected) => {
    expect(hex(value)).toBe(expected);
  });

  it('sorts map keys ascending whatever the insertion order', () => {
    const m = new Map<number, CborValue>([
      [24, 'x'],
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(hex(m)).toBe('a3016161026162181861' + '78');
  });

  it.each([
    ['a float', 1.5],
    ['NaN', Number.NaN],
    ['an unsafe integer number', 2 ** 60],
    ['undefined', undefined],
    ['a plain object', { a: 1 }],
    ['a map with a string key', new Map([['a', 1]])],
    ['a map with a negative key', new Map([[-1, 1]])],
    ['a bigint beyond 64 bits', 1n << 64n],
  ])('refuses to encode %s', (_what, value) => {
    expect(() => encodeCbor(value)).toThrow(MalformedMessageError);
  });
});

describe('strict decoding', () => {
  it('decodes integers beyond 2^53 as bigint and smaller ones as number', () => {
    expect(decodeCbor(fromHex('1b0020000000000000'))).toBe(2n ** 53n);
    expect(decodeCbor(fromHex('1b001fffffffffffff'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeCbor(fromHex('3bffffffffffffffff'))).toBe(-(2n ** 64n));
  });

  it('decodes maps to Map<number, ...>', () => {
    const v = decodeCbor(fromHex('a201420102026161'));
    expect(v).toBeInstanceOf(Map);
    expect([...(v as Map<number, unknown>).entries()]).toEqual([
      [1, new Uint8Array([1, 2])],
      [2, 'a'],
    ]);
  });

  it.each([
    ['non-shortest uint (18 01)', '1801', /non-shortest/],
    ['non-shortest uint16 (19 00ff)', '1900ff', /non-shortest/],
    ['non-shortest uint64', '1b00000000ffffffff', /non-shortest/],
    ['non-shortest negative', '3800', /non-shortest/],
    ['non-shortest length', '5801aa', /non-shortest/],
    ['16-bit map header for 1 key', 'b900010100', /non-shortest/],
    ['indefinite array', '9f01ff', /indefinite/],
    ['indefinite bstr', '5f4101ff', /indefinite/],
    ['indefinite map', 'bf0100ff', /indefinite/],
    ['tag 259', 'd90103a0', /tags/],
    ['tag 0', 'c06161', /tags/],
    ['half float', 'f93e00', /floats/],
    ['single float', 'fa3fc00000', /floats/],
    ['double float', 'fb3ff8000000000000', /floats/],
    ['undefined', 'f7', /simple value/],
    ['simple(16)', 'f0', /simple value/],
    ['bare break', 'ff', /break/],
    ['unsorted keys', 'a202000100', /ascending/],
    ['duplicate keys', 'a201000100', /duplicate/],
    ['text key', 'a1616100', /not an unsigned integer/],
    ['negative key', 'a12000', /not an unsigned integer/],
    ['truncated bstr', '440102', /truncated|exceeds/],
    ['truncated array', '8201', /truncated|exceeds/],
    ['truncated head', '19', /truncated/],
    ['trailing bytes', '0000', /trailing/],
    ['invalid UTF-8', '62c328', /UTF-8/],
    ['reserved additional info', '1c', /reserved/],
    ['empty input', '', /truncated/],
  ])('rejects %s', (_what, input, message) => {
    expect(() => decodeCbor(fromHex(input))).toThrow(MalformedMessageError);
    expect(() => decodeCbor(fromHex(input))).toThrow(message);
  });

  it('bounds nesting depth', () => {
    const ok = `${'81'.repeat(MAX_DEPTH)}00`;
    const deep = `${'81'.repeat(MAX_DEPTH + 1)}00`;
    expect(() => decodeCbor(fromHex(ok))).not.toThrow();
    expect(() => decodeCbor(fromHex(deep))).toThrow(/nesting/);
  });

  it('rejects a length larger than the input without allocating it', () => {
    expect(() => decodeCbor(fromHex('9bffffffffffffffff'))).toThrow(MalformedMessageError);
    expect(() => decodeCbor(fromHex('5affffffff'))).toThrow(/exceeds/);
  });
});

// ---------------------------------------------------------------------------------- properties

const key = fc.integer({ min: 0, max: 100_000 });
const leaf: fc.Arbitrary<CborValue> = fc.oneof(
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
  fc.bigInt({ min: -(2n ** 64n), max: -(2n ** 53n) - 1n }),
  fc.string(),
  fc.uint8Array({ maxLength: 64 }),
  fc.boolean(),
  fc.constant(null),
);
const { value: cborValue } = fc.letrec<{ value: CborValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.uniqueArray(fc.tuple(key, tie('value')), { maxLength: 5, selector: ([k]) => k }).map((e) => new Map(e)),
  ),
}));

describe('CBOR properties', () => {
  it('decode(encode(v)) equals v and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(cborValue, (v) => {
        const bytes = encodeCbor(v);
        const back = decodeCbor(bytes);
        expect(back).toEqual(v);
        expect(toHex(encodeCbor(back))).toBe(toHex(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('an independent decoder (cbor-x) reads our bytes as the same value', () => {
    const other = new Decoder({ mapsAsObjects: false, useRecords: false, int64AsType: 'bigint' } as never);
    const normalise = (v: unknown): unknown => {
      if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      if (v instanceof Uint8Array) return toHex(v);
      if (v instanceof Map) return [...v.entries()].map(([k, x]) => [Number(k), normalise(x)]).sort((x, y) => (x[0] as number) - (y[0] as number));
      if (Array.isArray(v)) return v.map(normalise);
      return v;
    };
    fc.assert(
      fc.property(cborValue, (v) => {
        expect(normalise(other.decode(encodeCbor(v)))).toEqual(normalise(v));
      }),
      { numRuns: 200 },
    );
  });

  it('every single-byte corruption either fails typed or decodes to something that re-encodes identically', () => {
    fc.assert(
      fc.property(cborValue, fc.nat(), fc.integer({ min: 1, max: 255 }), (v, at, flip) => {
        const bytes = encodeCbor(v);
        const i = at % bytes.length;
        bytes[i] = (bytes[i] as number) ^ flip;
        let decoded: CborValue;
        try {
          decoded = decodeCbor(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(MalformedMessageError);
          return;
        }
        // Whatever the strict decoder accepts is canonical: it must round-trip byte for byte.
        expect(toHex(encodeCbor(decoded))).toBe(toHex(bytes));
      }),
      { numRuns: 500 },
    );
  });
});
