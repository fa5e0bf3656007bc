/**
 * IP addresses between the API (strings) and the wire (4 or 16 bytes, network order).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidAddressError } from './errors.js';

export type IpFamily = 4 | 6;

export interface ParsedAddress {
  family: IpFamily;
  bytes: Uint8Array;
  /** From a "/len" suffix, when given. */
  prefixLen: number | undefined;
}

/** "192.0.2.1", "2001:db8::1", optionally with "/len"; bytes pass through (4 or 16 of them). */
export function parseAddress(input: string | Uint8Array): ParsedAddress {
  if (input instanceof Uint8Array) {
    if (input.length !== 4 && input.length !== 16) throw new InvalidAddressError(`${input.length} bytes is not an IPv4 or IPv6 address`);
    return { family: input.length === 4 ? 4 : 6, bytes: new Uint8Array(input), prefixLen: undefined };
  }
  const slash = input.indexOf('/');
  const text = slash === -1 ? input : input.slice(0, slash);
  let prefixLen: number | undefined;
  if (slash !== -1) {
    const p = input.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) throw new InvalidAddressError(`bad prefix length in ${JSON.stringify(input)}`);
    prefixLen = Number(p);
  }
  if (isIPv4(text)) {
    if (prefixLen !== undefined && prefixLen > 32) throw new InvalidAddressError(`prefix /${prefixLen} is too long for IPv4`);
    return { family: 4, bytes: Uint8Array.from(text.split('.').map(Number)), prefixLen };
  }
  if (isIPv6(text) && !text.includes('%')) {
    if (prefixLen !== undefined && prefixLen > 128) throw new InvalidAddressError(`prefix /${prefixLen} is too long for IPv6`);
    return { family: 6, bytes: ipv6Bytes(text), prefixLen };
  }
  throw new InvalidAddressError(`not an IPv4 or IPv6 address: ${JSON.stringify(input)}`);
}

function ipv6Bytes(text: string): Uint8Array {
  let t = text;
  // A trailing dotted quad ("::ffff:192.0.2.1") becomes two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (dotted?.[1]) {
    const b = dotted[1].split('.').map(Number) as [number, number, number, number];
    t = `${t.slice(0, dotted.index)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = t.includes('::') ? (t.split('::') as [string, string]) : [t, undefined];
  const h = head ? head.split(':') : [];
  const tl = tail === undefined ? [] : tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - h.length - tl.length;
  const groups = [...h, ...Array<string>(zeros).fill('0'), ...tl];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** Dotted quad, or RFC 5952 text for IPv6 (lower case, the longest run of zero groups as "::"). */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new InvalidAddressError(`${bytes.length} bytes is not an IPv4 or IPv6 address`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** fe80::/10 and 169.254.0.0/16: the addresses mptcpd's SKIP_LL flag leaves out. */
export function isLinkLocal(bytes: Uint8Array): boolean {
  if (bytes.length === 4) return bytes[0] === 169 && bytes[1] === 254;
  return bytes[0] === 0xfe && ((bytes[1] ?? 0) & 0xc0) === 0x80;
}

/** Link-layer address as "aa:bb:cc:dd:ee:ff" ("" when empty). */
export function formatLinkAddress(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}
