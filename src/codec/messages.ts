/**
 * The message layer (PROTOCOL.md §2): one CBOR array [kind, op, id, body] per DATA frame.
 * `Kind` and `Op` mirror proto/netbridge.cddl; keep them in step with it.
 */
import { MalformedMessageError } from '../errors.js';
import { type CborMap, type CborValue, decodeCbor, encodeCbor } from './cbor.js';

export const Kind = {
  REQ: 0,
  RSP: 1,
  ERR: 2,
  ITEM: 3,
  DONE: 4,
  NTF: 5,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];
export type KindName = keyof typeof Kind;

export const Op = {
  // session
  HELLO: 0x01,
  PING: 0x02,
  STATS: 0x03,
  REBOOT: 0x04,
  SINK: 0x05,
  OVERRUN: 0x08,
  LOG: 0x09,
  // net_mgmt
  EVT_SUBSCRIBE: 0x10,
  EVENT: 0x11,
  IFACE_DUMP: 0x12,
  IFACE_UP: 0x13,
  IFACE_DOWN: 0x14,
  ADDR_ADD: 0x15,
  ADDR_DEL: 0x16,
  DHCPV4_START: 0x17,
  DHCPV4_STOP: 0x18,
  HOSTNAME_SET: 0x19,
  NET_MGMT: 0x1a,
  // sockets
  SOCKET: 0x20,
  SOCKETPAIR: 0x21,
  CLOSE: 0x22,
  SHUTDOWN: 0x23,
  BIND: 0x24,
  CONNECT: 0x25,
  LISTEN: 0x26,
  ACCEPT: 0x27,
  SEND: 0x28,
  RECV: 0x29,
  POLL: 0x2a,
  GETSOCKOPT: 0x2b,
  SETSOCKOPT: 0x2c,
  GETSOCKNAME: 0x2d,
  GETPEERNAME: 0x2e,
  GETHOSTNAME: 0x2f,
  GETADDRINFO: 0x30,
  GETNAMEINFO: 0x31,
  FCNTL: 0x32,
  IOCTL: 0x33,
  SOCK_STREAM: 0x34,
  SOCK_DATA: 0x35,
  SOCK_EVENT: 0x36,
  SOCK_WRITE: 0x37,
  TLS_CRED_ADD: 0x38,
  TLS_CRED_GET: 0x39,
  TLS_CRED_DEL: 0x3a,
} as const;
export type OpName = keyof typeof Op;
/** An op code. Unknown codes are kept as numbers (a newer board may send them). */
export type Op = number;

/** Ops that only ever travel as NTF (never requested). */
export const NOTIFICATION_OPS: ReadonlySet<number> = new Set([
  Op.OVERRUN,
  Op.LOG,
  Op.EVENT,
  Op.SOCK_DATA,
  Op.SOCK_EVENT,
]);

/** Ops answered by ITEM* DONE instead of RSP. */
export const DUMP_OPS: ReadonlySet<number> = new Set([Op.IFACE_DUMP]);

const kindNames = new Map<number, KindName>(Object.entries(Kind).map(([n, v]) => [v, n as KindName]));
const opNames = new Map<number, OpName>(Object.entries(Op).map(([n, v]) => [v, n as OpName]));

export function kindName(kind: number): string {
  return kindNames.get(kind) ?? `KIND_${kind}`;
}

/** "PING", or "0x7f" for an op this library does not know. */
export function opName(op: number): string {
  return opNames.get(op) ?? `0x${op.toString(16).padStart(2, '0')}`;
}

export function opByName(name: string): number | undefined {
  return Object.hasOwn(Op, name) ? Op[name as OpName] : undefined;
}

export function kindByName(name: string): Kind | undefined {
  return Object.hasOwn(Kind, name) ? Kind[name as KindName] : undefined;
}

export interface Message {
  kind: Kind;
  op: Op;
  /** REQ: host-chosen id; RSP/ERR/ITEM/DONE: echoed; NTF: notification sequence number. */
  id: number;
  body: CborMap;
}

export const MAX_ID = 0xffffffff;

function checkHeader(kind: unknown, op: unknown, id: unknown): void {
  if (typeof kind !== 'number' || !kindNames.has(kind)) throw new MalformedMessageError(`unknown kind ${String(kind)}`);
  if (typeof op !== 'number' || op < 0 || !Number.isInteger(op)) throw new MalformedMessageError(`op ${String(op)} is not a uint`);
  if (typeof id !== 'number' || id < 0 || id > MAX_ID || !Number.isInteger(id)) {
    throw new MalformedMessageError(`id ${String(id)} is not a uint32`);
  }
}

export function encodeMessage(msg: Message): Uint8Array {
  checkHeader(msg.kind, msg.op, msg.id);
  if (!(msg.body instanceof Map)) throw new MalformedMessageError('body must be a Map');
  return encodeCbor([msg.kind, msg.op, msg.id, msg.body]);
}

/** Decodes and validates a DATA payload: a canonical CBOR array of exactly [kind, op, id, map]. */
export function decodeMessage(bytes: Uint8Array): Message {
  const value = decodeCbor(bytes);
  if (!Array.isArray(value)) throw new MalformedMessageError('message is not an array');
  if (value.length !== 4) throw new MalformedMessageError(`message has ${value.length} items, expected 4`);
  const [kind, op, id, body] = value as CborValue[];
  checkHeader(kind, op, id);
  if (!(body instanceof Map)) throw new MalformedMessageError('message body is not a map');
  return { kind: kind as Kind, op: op as number, id: id as number, body: body as CborMap };
}

/** Builds a body Map from [key, value] pairs, leaving out undefined values (absent optional keys). */
export function body(entries: Iterable<readonly [number, CborValue | undefined]> = []): CborMap {
  const out: CborMap = new Map();
  for (const [k, v] of entries) if (v !== undefined) out.set(k, v);
  return out;
}
