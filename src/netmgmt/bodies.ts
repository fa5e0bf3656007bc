/**
 * Bodies of the net_mgmt ops (netbridge.cddl: evt-subscribe-req, event-ntf, event-info, iface-item,
 * if-addr, addr-req, ...): builders for requests, parsers that validate the board's bodies and
 * present addresses as strings.
 */
import type { CborMap, CborValue } from '../codec/cbor.js';
import * as f from '../codec/fields.js';
import { body } from '../codec/messages.js';
import { ProtocolError } from '../errors.js';
import { type IpFamily, formatAddress, formatLinkAddress } from './addr.js';

// ------------------------------------------------------------------------------------------ events

/** event-info, decoded on the board from the event's info struct. */
export interface EventInfo {
  family?: IpFamily;
  /** Address added/removed, DAD, neighbour, router, DNS server, PMTU destination. */
  address?: string;
  prefixLen?: number;
  /** Lifetime / lease time in seconds. */
  lifetime?: number;
  hostname?: string;
  nexthop?: string;
  netmask?: string;
  dhcpServer?: string;
  mtu?: number;
  port?: number;
  /** State / reason / status code. */
  status?: number;
  /** Size of an info struct the board did not decode. */
  infoSize?: number;
  /** Neighbour / secondary interface index. */
  index?: number;
}

export interface EventNotification {
  /** The code as the board's net_mgmt raised it (its own layout). */
  code: bigint;
  ifindex: number;
  uptimeMs: number;
  info: EventInfo | undefined;
}

function optAddr(m: CborMap, key: number, what: string): string | undefined {
  const b = f.optBytes(m, key, what);
  if (b === undefined) return undefined;
  if (b.length !== 4 && b.length !== 16) throw new ProtocolError(`${what}: key ${key} should be a 4 or 16 byte address, got ${b.length} bytes`);
  return formatAddress(b);
}

function set<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

export function parseEventInfo(m: CborMap): EventInfo {
  const w = 'event-info';
  const info: EventInfo = {};
  const fam = f.optUint(m, 1, w);
  if (fam !== undefined && fam !== 4 && fam !== 6) throw new ProtocolError(`${w}: family ${fam} is not 4 or 6`);
  set(info, 'family', fam as IpFamily | undefined);
  set(info, 'address', optAddr(m, 2, w));
  set(info, 'prefixLen', f.optUint(m, 3, w));
  set(info, 'lifetime', f.optUint(m, 4, w));
  set(info, 'hostname', f.optText(m, 5, w));
  set(info, 'nexthop', optAddr(m, 6, w));
  set(info, 'netmask', optAddr(m, 7, w));
  set(info, 'dhcpServer', optAddr(m, 8, w));
  set(info, 'mtu', f.optUint(m, 9, w));
  set(info, 'port', f.optUint(m, 10, w));
  set(info, 'status', f.optInt(m, 11, w));
  set(info, 'infoSize', f.optUint(m, 12, w));
  set(info, 'index', f.optUint(m, 13, w));
  return info;
}

export function eventInfoBody(info: EventInfo, addrBytes: (s: string) => Uint8Array): CborMap {
  const a = (s: string | undefined) => (s === undefined ? undefined : addrBytes(s));
  return body([
    [1, info.family],
    [2, a(info.address)],
    [3, info.prefixLen],
    [4, info.lifetime],
    [5, info.hostname],
    [6, a(info.nexthop)],
    [7, a(info.netmask)],
    [8, a(info.dhcpServer)],
    [9, info.mtu],
    [10, info.port],
    [11, info.status],
    [12, info.infoSize],
    [13, info.index],
  ]);
}

export function parseEventNotification(m: CborMap): EventNotification {
  const w = 'EVENT notification';
  const infoMap = m.get(4);
  if (infoMap !== undefined && !(infoMap instanceof Map)) throw new ProtocolError(`${w}: key 4 should be a map`);
  return {
    code: f.uint64(m, 1, w),
    ifindex: f.uint(m, 2, w),
    uptimeMs: f.uint(m, 3, w),
    info: infoMap === undefined ? undefined : parseEventInfo(infoMap as CborMap),
  };
}

export function subscribeBody(masks: readonly bigint[]): CborMap {
  return body([[1, [...masks]]]);
}

export function parseSubscribeBody(m: CborMap): bigint[] {
  return f.array(m, 1, 'EVT_SUBSCRIBE request').map((v) => {
    if (typeof v !== 'number' && typeof v !== 'bigint') throw new ProtocolError('EVT_SUBSCRIBE request: a mask is not a uint');
    return BigInt(v);
  });
}

// ------------------------------------------------------------------------------------------ interfaces

export const IFACE_FLAGS = {
  ADMIN_UP: 0,
  OPER_UP: 1,
  LOOPBACK: 2,
  IPV4: 3,
  IPV6: 4,
  POINTOPOINT: 5,
  PROMISC: 6,
  NO_AUTO_START: 7,
  DHCPV4: 8,
} as const;
export type IfaceFlagName = keyof typeof IFACE_FLAGS;

export const ADDR_STATES = ['tentative', 'preferred', 'deprecated'] as const;
export type AddrState = (typeof ADDR_STATES)[number] | `state${number}`;
export const ADDR_ORIGINS = ['manual', 'autoconf', 'dhcp', 'overridable'] as const;
export type AddrOrigin = (typeof ADDR_ORIGINS)[number] | `origin${number}`;

export interface IfAddress {
  family: IpFamily;
  address: string;
  prefixLen: number;
  state: AddrState;
  origin: AddrOrigin;
  /** Remaining lifetime in seconds; undefined: infinite. */
  lifetime: number | undefined;
}

export interface SockAddr {
  family: number;
  address: string;
  port: number | undefined;
  scopeId: number | undefined;
}

export interface NetInterface {
  index: number;
  name: string;
  /** "ETHERNET", "DUMMY", "VIRTUAL", "OPENTHREAD", "PPP", "UNKNOWN". */
  l2: string;
  mtu: number;
  /** iface-flags bits. */
  flags: number;
  /** The flags by name. */
  up: boolean;
  operUp: boolean;
  loopback: boolean;
  linkAddress: string;
  addresses: IfAddress[];
  dnsServers: SockAddr[];
  hostname: string;
}

export function hasFlag(flags: number, name: IfaceFlagName): boolean {
  return ((flags >>> IFACE_FLAGS[name]) & 1) === 1;
}

export function flagNames(flags: number): string[] {
  return (Object.entries(IFACE_FLAGS) as [IfaceFlagName, number][]).filter(([, bit]) => (flags >>> bit) & 1).map(([n]) => n);
}

function asMap(v: CborValue, what: string): CborMap {
  if (!(v instanceof Map)) throw new ProtocolError(`${what} is not a map`);
  return v as CborMap;
}

export function parseIfAddress(m: CborMap): IfAddress {
  const w = 'if-addr';
  const fam = f.uint(m, 1, w);
  if (fam !== 4 && fam !== 6) throw new ProtocolError(`${w}: family ${fam} is not 4 or 6`);
  const bytes = f.bytes(m, 2, w, fam === 4 ? 4 : 16);
  const state = f.uint(m, 4, w);
  const origin = f.uint(m, 5, w);
  return {
    family: fam,
    address: formatAddress(bytes),
    prefixLen: f.uint(m, 3, w),
    state: ADDR_STATES[state] ?? `state${state}`,
    origin: ADDR_ORIGINS[origin] ?? `origin${origin}`,
    lifetime: f.optUint(m, 6, w),
  };
}

export function parseSockAddr(m: CborMap): SockAddr {
  const w = 'sockaddr';
  const b = f.bytes(m, 2, w);
  if (b.length !== 4 && b.length !== 16) throw new ProtocolError(`${w}: address of ${b.length} bytes`);
  return { family: f.uint(m, 1, w), address: formatAddress(b), port: f.optUint(m, 3, w), scopeId: f.optUint(m, 4, w) };
}

export function parseIfaceItem(m: CborMap): NetInterface {
  const w = 'iface-item';
  const flags = f.uint(m, 5, w);
  return {
    index: f.uint(m, 1, w),
    name: f.text(m, 2, w),
    l2: f.text(m, 3, w),
    mtu: f.uint(m, 4, w),
    flags,
    up: hasFlag(flags, 'ADMIN_UP'),
    operUp: hasFlag(flags, 'OPER_UP'),
    loopback: hasFlag(flags, 'LOOPBACK'),
    linkAddress: formatLinkAddress(f.bytes(m, 6, w)),
    addresses: f.array(m, 7, w).map((a, i) => parseIfAddress(asMap(a, `${w} address ${i}`))),
    dnsServers: f.array(m, 8, w).map((a, i) => parseSockAddr(asMap(a, `${w} DNS server ${i}`))),
    hostname: f.text(m, 9, w),
  };
}

// ------------------------------------------------------------------------------------------ requests

export function ifaceBody(ifindex: number): CborMap {
  return body([[1, ifindex]]);
}

export function addrBody(ifindex: number, addr: Uint8Array, prefixLen?: number, lifetime?: number): CborMap {
  return body([
    [1, ifindex],
    [2, addr],
    [3, prefixLen],
    [4, lifetime],
  ]);
}

export function hostnameBody(name: string): CborMap {
  return body([[1, name]]);
}

export function netMgmtBody(request: bigint, ifindex: number, data?: Uint8Array): CborMap {
  return body([
    [1, request],
    [2, ifindex],
    [3, data],
  ]);
}
