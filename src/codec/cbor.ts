/**
 * Canonical CBOR (RFC 8949 §4.2.1 core deterministic encoding) for the subset the schema uses:
 * unsigned/negative integers up to 64 bits, byte strings, text strings, arrays, maps with ascending
 * unsigned integer keys, false/true/null.
 *
 * Hand-written rather than a configured cbor-x: the board (zcbor, canonical) and the host must
 * agree byte for byte, and the decoder must *reject* what a general decoder accepts (non-shortest
 * forms, indefinite lengths, floats, tags, unsorted or duplicate keys). Both are a few dozen lines.
 */
import { MalformedMessageError } from '../errors.js';

/** A value this codec can carry. Integers above 2^53 are bigints; maps are Map<number, CborValue>. */
export type CborValue =
  | number
  | bigint
  | string
  | Uint8Array
  | boolean
  | null
  | readonly CborValue[]
  | ReadonlyMap<number, CborValue>;

export type CborMap = Map<number, CborValue>;

const MAX_U64 = (1n << 64n) - 1n;
/** Deepest nesting accepted on decode: bounds recursion on hostile input. The schema needs 5. */
export const MAX_DEPTH = 16;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

// ------------------------------------------------------------------------------------------ encode

class ByteWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Initial byte plus argument in the shortest form (the canonical rule). */
  head(major: number, arg: bigint | number): void {
    const m = major << 5;
    if (typeof arg === 'number' && arg < 24) return this.byte(m | arg);
    const v = BigInt(arg);
    if (v < 24n) return this.byte(m | Number(v));
    if (v <= 0xffn) {
      this.byte(m | 24);
      this.byte(Number(v));
    } else if (v <= 0xffffn) {
      this.byte(m | 25);
      this.byte(Number(v >> 8n));
      this.byte(Number(v & 0xffn));
    } else if (v <= 0xffffffffn) {
      this.byte(m | 26);
      for (let s = 24n; s >= 0n; s -= 8n) this.byte(Number((v >> s) & 0xffn));
    } else {
      this.byte(m | 27);
      for (let s = 56n; s >= 0n; s -= 8n) this.byte(Number((v >> s) & 0xffn));
    }
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function encodeInteger(w: ByteWriter, v: bigint | number): void {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) {
      throw new MalformedMessageError(`cannot encode ${v}: only safe integers (or bigint) are allowed, no floats`);
    }
    if (v >= 0) w.head(0, v);
    else w.head(1, -1 - v);
    return;
  }
  if (v > MAX_U64 || v < -1n - MAX_U64) throw new MalformedMessageError(`integer ${v} does not fit in 64 bits`);
  if (v >= 0n) w.head(0, v);
  else w.head(1, -1n - v);
}

function encodeValue(w: ByteWriter, v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new MalformedMessageError(`nesting deeper than ${MAX_DEPTH}`);
  if (typeof v === 'number' || typeof v === 'bigint') return encodeInteger(w, v);
  if (typeof v === 'string') {
    const b = utf8Encoder.encode(v);
    w.head(3, b.length);
    return w.bytes(b);
  }
  if (v instanceof Uint8Array) {
    w.head(2, v.length);
    return w.bytes(v);
  }
  if (v === false) return w.byte(0xf4);
  if (v === true) return w.byte(0xf5);
  if (v === null) return w.byte(0xf6);
  if (Array.isArray(v)) {
    w.head(4, v.length);
    for (const item of v) encodeValue(w, item, depth + 1);
    return;
  }
  if (v instanceof Map) {
    const keys = [...v.keys()];
    for (const k of keys) {
      if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 0) {
        throw new MalformedMessageError(`map key ${String(k)} is not an unsigned integer`);
      }
    }
    keys.sort((a: number, b: number) => a - b);
    w.head(5, keys.length);
    for (const k of keys) {
      w.head(0, k as number);
      encodeValue(w, v.get(k), depth + 1);
    }
    return;
  }
  throw new MalformedMessageError(`cannot encode a value of type ${v === undefined ? 'undefined' : typeof v}`);
}

/** Encodes `value` canonically. Map keys are sorted here, so insertion order never matters. */
export function encodeCbor(value: unknown): Uint8Array {
  const w = new ByteWriter();
  encodeValue(w, value, 0);
  return w.result();
}

// ------------------------------------------------------------------------------------------ decode

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  fail(what: string): never {
    throw new MalformedMessageError(`${what} at offset ${this.pos}`);
  }

  byte(): number {
    const b = this.buf[this.pos];
    if (b === undefined) this.fail('truncated CBOR');
    this.pos++;
    return b;
  }

  take(n: number): Uint8Array {
    if (n > this.buf.length - this.pos) this.fail(`truncated CBOR: ${n} bytes announced`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads a head's argument and insists on the shortest form. */
  argument(info: number): bigint {
    if (info < 24) return BigInt(info);
    let width: number;
    if (info === 24) width = 1;
    else if (info === 25) width = 2;
    else if (info === 26) width = 4;
    else if (info === 27) width = 8;
    else if (info === 31) this.fail('indefinite length is not canonical');
    else this.fail(`reserved additional information ${info}`);
    let v = 0n;
    for (const b of this.take(width)) v = (v << 8n) | BigInt(b);
    const shortestWidth = v < 24n ? 0 : v <= 0xffn ? 1 : v <= 0xffffn ? 2 : v <= 0xffffffffn ? 4 : 8;
    if (shortestWidth !== width) this.fail(`non-shortest encoding of ${v}`);
    return v;
  }

  length(info: number): number {
    const v = this.argument(info);
    // Anything longer than the input cannot be honest; this also keeps the value a safe number.
    if (v > BigInt(this.buf.length - this.pos)) this.fail(`length ${v} exceeds the input`);
    return Number(v);
  }
}

function toIntegerValue(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function decodeValue(r: Reader, depth: number): CborValue {
  if (depth > MAX_DEPTH) r.fail(`nesting deeper than ${MAX_DEPTH}`);
  const initial = r.byte();
  const major = initial >> 5;
  const info = initial & 0x1f;
  switch (major) {
    case 0:
      return toIntegerValue(r.argument(info));
    case 1:
      return toIntegerValue(-1n - r.argument(info));
    case 2:
      return r.take(r.length(info)).slice();
    case 3: {
      const raw = r.take(r.length(info));
      try {
        return utf8Decoder.decode(raw);
      } catch {
        return r.fail('text string is not valid UTF-8');
      }
    }
    case 4: {
      const n = r.length(info); // each item takes at least one byte, so n is bounded by the input
      const out: CborValue[] = [];
      for (let i = 0; i < n; i++) out.push(decodeValue(r, depth + 1));
      return out;
    }
    case 5: {
      const n = r.length(info);
      const out = new Map<number, CborValue>();
      let previous = -1;
      for (let i = 0; i < n; i++) {
        const keyAt = r.pos;
        const key = decodeValue(r, depth + 1);
        if (typeof key !== 'number' || key < 0) {
          r.pos = keyAt;
          r.fail('map key is not an unsigned integer');
        }
        if (key <= previous) {
          r.pos = keyAt;
          r.fail(key === previous ? `duplicate map key ${key}` : `map keys not in ascending order (${key} after ${previous})`);
        }
        previous = key;
        out.set(key, decodeValue(r, depth + 1));
      }
      return out;
    }
    case 6:
      return r.fail('tags are not allowed');
    default: // major 7
      if (initial === 0xf4) return false;
      if (initial === 0xf5) return true;
      if (initial === 0xf6) return null;
      if (info >= 25 && info <= 27) return r.fail('floats are not allowed');
      if (info === 31) return r.fail('unexpected break');
      return r.fail(`simple value ${info} is not allowed`);
  }
}

/** Decodes exactly one canonical CBOR item filling `bytes`; anything else is MalformedMessageError. */
export function decodeCbor(bytes: Uint8Array): CborValue {
  const r = new Reader(bytes);
  const value = decodeValue(r, 0);
  if (r.pos !== bytes.length) r.fail(`${bytes.length - r.pos} trailing bytes after the item`);
  return value;
}
