/**
 * Socket option value forms: how each (level, optname) the board supports travels in the wire's
 * `sockopt-value` (int / bstr / tstr / [* int]) and which JS type the host library gives it.
 * Mirrors the option table of proto/PROTOCOL.md §2.7.1; options not listed pass through raw.
 */
import type { CborValue } from '../codec/cbor.js';
import { ProtocolError } from '../errors.js';
import * as C from './constants.js';
import { InvalidArgumentError } from './errors.js';

/**
 * int: number. bool: boolean (int 0/1 on the wire). ms: a struct timeval as milliseconds on the
 * host, `[sec, usec]` on the wire (0: no timeout).
 * string: tstr. bytes: bstr (structs passed as the board lays them out). intlist: [* int]
 * (sec tags, cipher suites). strlist: string[] as one tstr joined by "," (ALPN protocol names).
 * linger: { onoff, linger } as [onoff, seconds].
 */
export type OptionForm = 'int' | 'bool' | 'ms' | 'string' | 'bytes' | 'intlist' | 'strlist' | 'linger';

export interface Linger {
  onoff: boolean;
  linger: number;
}

export type SockOptValue = number | boolean | string | Uint8Array | number[] | string[] | Linger;

export interface OptionSpec {
  name: string;
  level: number;
  optname: number;
  form: OptionForm;
  access: 'rw' | 'r' | 'w';
}

const o = (level: number, optname: number, name: string, form: OptionForm, access: 'rw' | 'r' | 'w' = 'rw'): OptionSpec => ({
  name,
  level,
  optname,
  form,
  access,
});

export const SOCKET_OPTIONS: readonly OptionSpec[] = [
  o(C.SOL_SOCKET, C.SO_REUSEADDR, 'SO_REUSEADDR', 'bool'),
  o(C.SOL_SOCKET, C.SO_TYPE, 'SO_TYPE', 'int', 'r'),
  o(C.SOL_SOCKET, C.SO_ERROR, 'SO_ERROR', 'int', 'r'),
  o(C.SOL_SOCKET, C.SO_BROADCAST, 'SO_BROADCAST', 'bool'),
  o(C.SOL_SOCKET, C.SO_SNDBUF, 'SO_SNDBUF', 'int'),
  o(C.SOL_SOCKET, C.SO_RCVBUF, 'SO_RCVBUF', 'int'),
  o(C.SOL_SOCKET, C.SO_KEEPALIVE, 'SO_KEEPALIVE', 'bool'),
  o(C.SOL_SOCKET, C.SO_PRIORITY, 'SO_PRIORITY', 'int'),
  o(C.SOL_SOCKET, C.SO_LINGER, 'SO_LINGER', 'linger'),
  o(C.SOL_SOCKET, C.SO_REUSEPORT, 'SO_REUSEPORT', 'bool'),
  o(C.SOL_SOCKET, C.SO_RCVTIMEO, 'SO_RCVTIMEO', 'ms'),
  o(C.SOL_SOCKET, C.SO_SNDTIMEO, 'SO_SNDTIMEO', 'ms'),
  o(C.SOL_SOCKET, C.SO_BINDTODEVICE, 'SO_BINDTODEVICE', 'string'),
  o(C.SOL_SOCKET, C.SO_ACCEPTCONN, 'SO_ACCEPTCONN', 'bool', 'r'),
  o(C.SOL_SOCKET, C.SO_PROTOCOL, 'SO_PROTOCOL', 'int', 'r'),
  o(C.SOL_SOCKET, C.SO_DOMAIN, 'SO_DOMAIN', 'int', 'r'),
  o(C.SOL_SOCKET, 37, 'SO_TIMESTAMPING', 'int'),
  o(C.IPPROTO_TCP, C.TCP_NODELAY, 'TCP_NODELAY', 'bool'),
  o(C.IPPROTO_TCP, C.TCP_KEEPIDLE, 'TCP_KEEPIDLE', 'int'),
  o(C.IPPROTO_TCP, C.TCP_KEEPINTVL, 'TCP_KEEPINTVL', 'int'),
  o(C.IPPROTO_TCP, C.TCP_KEEPCNT, 'TCP_KEEPCNT', 'int'),
  o(C.IPPROTO_IP, C.IP_TOS, 'IP_TOS', 'int'),
  o(C.IPPROTO_IP, C.IP_TTL, 'IP_TTL', 'int'),
  o(C.IPPROTO_IP, C.IP_PKTINFO, 'IP_PKTINFO', 'int'),
  o(C.IPPROTO_IP, C.IP_MTU, 'IP_MTU', 'int'),
  o(C.IPPROTO_IP, C.IP_MULTICAST_IF, 'IP_MULTICAST_IF', 'bytes', 'w'),
  o(C.IPPROTO_IP, C.IP_MULTICAST_TTL, 'IP_MULTICAST_TTL', 'int'),
  o(C.IPPROTO_IP, C.IP_MULTICAST_LOOP, 'IP_MULTICAST_LOOP', 'bool'),
  o(C.IPPROTO_IP, C.IP_ADD_MEMBERSHIP, 'IP_ADD_MEMBERSHIP', 'bytes', 'w'),
  o(C.IPPROTO_IP, C.IP_DROP_MEMBERSHIP, 'IP_DROP_MEMBERSHIP', 'bytes', 'w'),
  o(C.IPPROTO_IPV6, C.IPV6_V6ONLY, 'IPV6_V6ONLY', 'bool'),
  o(C.IPPROTO_IPV6, C.IPV6_UNICAST_HOPS, 'IPV6_UNICAST_HOPS', 'int'),
  o(C.IPPROTO_IPV6, C.IPV6_MULTICAST_HOPS, 'IPV6_MULTICAST_HOPS', 'int'),
  o(C.IPPROTO_IPV6, C.IPV6_MULTICAST_LOOP, 'IPV6_MULTICAST_LOOP', 'bool'),
  o(C.IPPROTO_IPV6, C.IPV6_TCLASS, 'IPV6_TCLASS', 'int'),
  o(C.IPPROTO_IPV6, C.IPV6_MULTICAST_IF, 'IPV6_MULTICAST_IF', 'int'),
  o(C.IPPROTO_IPV6, C.IPV6_MTU, 'IPV6_MTU', 'int'),
  o(C.IPPROTO_IPV6, C.IPV6_RECVPKTINFO, 'IPV6_RECVPKTINFO', 'int'),
  o(C.IPPROTO_IPV6, 72, 'IPV6_ADDR_PREFERENCES', 'int'),
  o(C.IPPROTO_IPV6, C.IPV6_ADD_MEMBERSHIP, 'IPV6_ADD_MEMBERSHIP', 'bytes', 'w'),
  o(C.IPPROTO_IPV6, C.IPV6_DROP_MEMBERSHIP, 'IPV6_DROP_MEMBERSHIP', 'bytes', 'w'),
  o(C.SOL_TLS, C.TLS_SEC_TAG_LIST, 'TLS_SEC_TAG_LIST', 'intlist'),
  o(C.SOL_TLS, C.TLS_HOSTNAME, 'TLS_HOSTNAME', 'string'),
  o(C.SOL_TLS, C.TLS_CIPHERSUITE_LIST, 'TLS_CIPHERSUITE_LIST', 'intlist'),
  o(C.SOL_TLS, C.TLS_CIPHERSUITE_USED, 'TLS_CIPHERSUITE_USED', 'int', 'r'),
  o(C.SOL_TLS, C.TLS_PEER_VERIFY, 'TLS_PEER_VERIFY', 'int'),
  o(C.SOL_TLS, C.TLS_DTLS_ROLE, 'TLS_DTLS_ROLE', 'int'),
  o(C.SOL_TLS, C.TLS_ALPN_LIST, 'TLS_ALPN_LIST', 'strlist'),
  o(C.SOL_TLS, C.TLS_DTLS_HANDSHAKE_TIMEOUT_MIN, 'TLS_DTLS_HANDSHAKE_TIMEOUT_MIN', 'int'),
  o(C.SOL_TLS, C.TLS_DTLS_HANDSHAKE_TIMEOUT_MAX, 'TLS_DTLS_HANDSHAKE_TIMEOUT_MAX', 'int'),
  o(C.SOL_TLS, C.TLS_CERT_NOCOPY, 'TLS_CERT_NOCOPY', 'int'),
  o(C.SOL_TLS, C.TLS_NATIVE, 'TLS_NATIVE', 'int'),
  o(C.SOL_TLS, C.TLS_SESSION_CACHE, 'TLS_SESSION_CACHE', 'int'),
  o(C.SOL_TLS, C.TLS_SESSION_CACHE_PURGE, 'TLS_SESSION_CACHE_PURGE', 'int', 'w'),
  o(C.SOL_TLS, 14, 'TLS_DTLS_CID', 'int'),
  o(C.SOL_TLS, 15, 'TLS_DTLS_CID_STATUS', 'int', 'r'),
  o(C.SOL_TLS, 16, 'TLS_DTLS_CID_VALUE', 'bytes'),
  o(C.SOL_TLS, 17, 'TLS_DTLS_PEER_CID_VALUE', 'bytes', 'r'),
  o(C.SOL_TLS, C.TLS_DTLS_HANDSHAKE_ON_CONNECT, 'TLS_DTLS_HANDSHAKE_ON_CONNECT', 'bool'),
  o(C.SOL_TLS, 19, 'TLS_CERT_VERIFY_RESULT', 'int', 'r'),
];

const byKey = new Map<string, OptionSpec>(SOCKET_OPTIONS.map((s) => [`${s.level}:${s.optname}`, s]));

export function optionSpec(level: number, optname: number): OptionSpec | undefined {
  return byKey.get(`${level}:${optname}`);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function label(level: number, optname: number): string {
  return optionSpec(level, optname)?.name ?? `option ${level}/${optname}`;
}

/** The wire form of `value` for a SETSOCKOPT, checked against the option's form. */
export function encodeOptionValue(level: number, optname: number, value: SockOptValue): CborValue {
  const spec = optionSpec(level, optname);
  const bad = (want: string): never => {
    throw new InvalidArgumentError('EINVAL', `${label(level, optname)} takes ${want}`);
  };
  if (!spec) {
    // Not in the table: raw wire forms only.
    if (isInt(value) || typeof value === 'string' || value instanceof Uint8Array) return value;
    if (Array.isArray(value) && value.every(isInt)) return value;
    return bad('an int, a string, bytes or a list of ints');
  }
  if (spec.access === 'r') throw new InvalidArgumentError('ENOPROTOOPT', `${spec.name} is read-only`);
  switch (spec.form) {
    case 'int':
      return isInt(value) ? value : bad('an integer');
    case 'ms':
      return isInt(value) && value >= 0 ? [Math.floor(value / 1000), (value % 1000) * 1000] : bad('milliseconds (0: none)');
    case 'bool':
      return typeof value === 'boolean' ? (value ? 1 : 0) : isInt(value) ? value : bad('a boolean');
    case 'string':
      return typeof value === 'string' ? value : bad('a string');
    case 'bytes':
      return value instanceof Uint8Array ? value : bad('bytes');
    case 'intlist':
      return Array.isArray(value) && value.every(isInt) ? (value as number[]) : bad('a list of integers');
    case 'strlist':
      if (!Array.isArray(value) || !value.every((s) => typeof s === 'string' && s.length > 0 && !s.includes(','))) {
        return bad('a list of non-empty names without commas');
      }
      return (value as string[]).join(',');
    case 'linger': {
      const l = value as Linger;
      if (typeof l !== 'object' || l === null || typeof l.onoff !== 'boolean' || !isInt(l.linger)) {
        return bad('{ onoff: boolean, linger: seconds }');
      }
      return [l.onoff ? 1 : 0, l.linger];
    }
  }
}

/** The JS value of a GETSOCKOPT answer, checked against the option's form. */
export function decodeOptionValue(level: number, optname: number, wire: CborValue | undefined): SockOptValue {
  const spec = optionSpec(level, optname);
  const bad = (): never => {
    throw new ProtocolError(`GETSOCKOPT ${label(level, optname)}: unexpected value form`);
  };
  if (wire === undefined) return bad();
  if (!spec) {
    if (isInt(wire) || typeof wire === 'string' || wire instanceof Uint8Array) return wire;
    if (Array.isArray(wire) && wire.every(isInt)) return wire as number[];
    return bad();
  }
  switch (spec.form) {
    case 'int':
      return isInt(wire) ? wire : bad();
    case 'ms':
      if (!Array.isArray(wire) || wire.length !== 2 || !wire.every(isInt)) return bad();
      return (wire[0] as number) * 1000 + Math.floor((wire[1] as number) / 1000);
    case 'bool':
      return isInt(wire) ? wire !== 0 : typeof wire === 'boolean' ? wire : bad();
    case 'string':
      return typeof wire === 'string' ? wire : bad();
    case 'bytes':
      return wire instanceof Uint8Array ? wire : bad();
    case 'intlist':
      return Array.isArray(wire) && wire.every(isInt) ? (wire as number[]) : bad();
    case 'strlist':
      return typeof wire === 'string' ? (wire === '' ? [] : wire.split(',')) : bad();
    case 'linger': {
      if (!Array.isArray(wire) || wire.length !== 2 || !wire.every(isInt)) return bad();
      return { onoff: wire[0] !== 0, linger: wire[1] as number };
    }
  }
}
