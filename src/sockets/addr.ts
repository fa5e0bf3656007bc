/**
 * Addresses: inet_pton / inet_ntop with Zephyr's AF_* values, and the wire's `sockaddr` map.
 * Pure host-side code (Zephyr's own inet_pton is a local function too).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { CborMap, CborValue } from '../codec/cbor.js';
import * as f from '../codec/fields.js';
import { body } from '../codec/messages.js';
import { ProtocolError } from '../errors.js';
import { AF_INET, AF_INET6 } from './constants.js';
import { InvalidArgumentError } from './errors.js';

/** A socket address as the host library presents it (sockaddr_in / sockaddr_in6). */
export interface SockAddr {
  /** Board AF_* value: AF_INET (1) or AF_INET6 (2). */
  family: number;
  /** Dotted quad or RFC 5952 text. */
  address: string;
  port: number;
  /** IPv6 scope id (interface index), when set. */
  scopeId?: number;
}

/** Network-order bytes of `src`, or null when it is not an address of `af` (zsock_inet_pton's 0). */
export function inet_pton(af: number, src: string): Uint8Array | null {
  if (af === AF_INET) {
    if (!isIPv4(src)) return null;
    return new Uint8Array(src.split('.').map(Number));
  }
  if (af === AF_INET6) {
    if (!isIPv6(src) || src.includes('%')) return null;
    return parseIPv6(src);
  }
  throw new InvalidArgumentError('EAFNOSUPPORT', `inet_pton: address family ${af} is not AF_INET or AF_INET6`);
}

function parseIPv6(src: string): Uint8Array {
  // An embedded dotted quad ("::ffff:1.2.3.4") becomes its two hex words first.
  const text = src.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`,
  );
  const [head, rest] = text.split('::') as [string, string | undefined];
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const words = rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/** Text form of `src` (4 or 16 network-order bytes), or null when its length does not fit `af`. */
export function inet_ntop(af: number, src: Uint8Array): string | null {
  if (af === AF_INET) return src.length === 4 ? Array.from(src).join('.') : null;
  if (af === AF_INET6) return src.length === 16 ? formatIPv6(src) : null;
  throw new InvalidArgumentError('EAFNOSUPPORT', `inet_ntop: address family ${af} is not AF_INET or AF_INET6`);
}

function formatIPv6(b: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, i) => ((b[i * 2] ?? 0) << 8) | (b[i * 2 + 1] ?? 0));
  // RFC 5952: compress the longest run (of two or more) of zero words, the first on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** The AF_* family of an address literal, or undefined when it is a name. */
export function familyOf(address: string): number | undefined {
  if (isIPv4(address)) return AF_INET;
  if (isIPv6(address)) return AF_INET6;
  return undefined;
}

export function sockaddrBody(a: SockAddr): CborMap {
  const bytes = inet_pton(a.family, a.address);
  if (!bytes) throw new InvalidArgumentError('EINVAL', `"${a.address}" is not an address of family ${a.family}`);
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 0xffff) {
    throw new InvalidArgumentError('EINVAL', `port ${a.port} is not in 0..65535`);
  }
  return body([
    [1, a.family],
    [2, bytes],
    [3, a.port],
    [4, a.scopeId],
  ]);
}

export function parseSockAddr(v: CborValue | undefined, what: string): SockAddr {
  if (!(v instanceof Map)) throw new ProtocolError(`${what}: sockaddr is not a map`);
  const m = v as CborMap;
  const family = f.uint(m, 1, what);
  const bytes = f.bytes(m, 2, what);
  const fam = bytes.length === 4 ? AF_INET : bytes.length === 16 ? AF_INET6 : undefined;
  if (fam === undefined) throw new ProtocolError(`${what}: address of ${bytes.length} bytes`);
  const out: SockAddr = { family, address: inet_ntop(fam, bytes) as string, port: f.optUint(m, 3, what) ?? 0 };
  const scope = f.optUint(m, 4, what);
  if (scope !== undefined) out.scopeId = scope;
  return out;
}
