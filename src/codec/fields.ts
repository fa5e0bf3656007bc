/**
 * Typed readers for body maps. A board body missing a mandatory key or carrying the wrong type is a
 * ProtocolError naming the key, so feature modules (net_mgmt, sockets) get precise failures for free.
 * Unknown keys are ignored (forward compatibility, netbridge.cddl).
 */
import { ProtocolError } from '../errors.js';
import type { CborMap, CborValue } from './cbor.js';

function bad(what: string, key: number, expected: string, v: unknown): never {
  throw new ProtocolError(`${what}: key ${key} should be ${expected}, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v instanceof Uint8Array) return `bstr(${v.length})`;
  if (v instanceof Map) return 'map';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function optUint(m: CborMap, key: number, what: string): number | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || v < 0) bad(what, key, 'a uint', v);
  return v;
}

export function uint(m: CborMap, key: number, what: string): number {
  const v = optUint(m, key, what);
  if (v === undefined) bad(what, key, 'a uint', v);
  return v;
}

/** A uint that may exceed 2^53 (event codes): always a bigint. */
export function optUint64(m: CborMap, key: number, what: string): bigint | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  if ((typeof v !== 'number' && typeof v !== 'bigint') || v < 0) bad(what, key, 'a uint64', v);
  return BigInt(v);
}

export function uint64(m: CborMap, key: number, what: string): bigint {
  const v = optUint64(m, key, what);
  if (v === undefined) bad(what, key, 'a uint64', v);
  return v;
}

export function optInt(m: CborMap, key: number, what: string): number | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'number') bad(what, key, 'an int', v);
  return v;
}

export function int(m: CborMap, key: number, what: string): number {
  const v = optInt(m, key, what);
  if (v === undefined) bad(what, key, 'an int', v);
  return v;
}

export function optBytes(m: CborMap, key: number, what: string): Uint8Array | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  if (!(v instanceof Uint8Array)) bad(what, key, 'a bstr', v);
  return v;
}

export function bytes(m: CborMap, key: number, what: string, size?: number): Uint8Array {
  const v = optBytes(m, key, what);
  if (v === undefined) bad(what, key, 'a bstr', v);
  if (size !== undefined && v.length !== size) bad(what, key, `a bstr of ${size} bytes`, v);
  return v;
}

export function optText(m: CborMap, key: number, what: string): string | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') bad(what, key, 'a tstr', v);
  return v;
}

export function text(m: CborMap, key: number, what: string): string {
  const v = optText(m, key, what);
  if (v === undefined) bad(what, key, 'a tstr', v);
  return v;
}

export function bool(m: CborMap, key: number, what: string): boolean {
  const v = m.get(key);
  if (typeof v !== 'boolean') bad(what, key, 'a bool', v);
  return v;
}

export function map(m: CborMap, key: number, what: string): CborMap {
  const v = m.get(key);
  if (!(v instanceof Map)) bad(what, key, 'a map', v);
  return v as CborMap;
}

export function array(m: CborMap, key: number, what: string): readonly CborValue[] {
  const v = m.get(key);
  if (!Array.isArray(v)) bad(what, key, 'an array', v);
  return v as readonly CborValue[];
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new RangeError(`not a hex string: ${hex.slice(0, 40)}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
