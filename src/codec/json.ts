/**
 * The plain-JSON form of CBOR values used by proto/vectors/frames.json (and handy for logging):
 * map -> object with decimal-string keys, bstr -> {"$bytes": hex}, integers beyond ±2^53 ->
 * {"$uint": "decimal"} / {"$int": "decimal"}. Kinds and ops appear by name.
 */
import { MalformedMessageError } from '../errors.js';
import type { CborMap, CborValue } from './cbor.js';
import { fromHex, toHex } from './fields.js';
import { type Message, kindByName, kindName, opByName, opName } from './messages.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface MessageJson {
  kind: string;
  op: string;
  id: number;
  body: { [key: string]: JsonValue };
}

export function cborToJson(v: CborValue): JsonValue {
  if (typeof v === 'bigint') {
    if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
    return v >= 0n ? { $uint: v.toString() } : { $int: v.toString() };
  }
  if (v instanceof Uint8Array) return { $bytes: toHex(v) };
  if (v instanceof Map) {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, item] of v) out[String(k)] = cborToJson(item);
    return out;
  }
  if (Array.isArray(v)) return v.map(cborToJson);
  return v as JsonValue;
}

export function jsonToCbor(v: JsonValue): CborValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new MalformedMessageError(`JSON number ${v} is not a safe integer`);
    return v;
  }
  if (Array.isArray(v)) return v.map(jsonToCbor);
  const keys = Object.keys(v);
  if (keys.length === 1) {
    const only = v[keys[0] as string];
    if (keys[0] === '$bytes' && typeof only === 'string') return fromHex(only);
    if ((keys[0] === '$uint' || keys[0] === '$int') && typeof only === 'string') return BigInt(only);
  }
  const out: CborMap = new Map();
  for (const k of keys) {
    if (!/^(0|[1-9][0-9]*)$/.test(k)) throw new MalformedMessageError(`JSON map key "${k}" is not a uint`);
    out.set(Number(k), jsonToCbor(v[k] as JsonValue));
  }
  return out;
}

export function messageToJson(m: Message): MessageJson {
  return { kind: kindName(m.kind), op: opName(m.op), id: m.id, body: cborToJson(m.body) as MessageJson['body'] };
}

export function messageFromJson(j: MessageJson): Message {
  const kind = kindByName(j.kind);
  const op = opByName(j.op) ?? (/^0x[0-9a-f]+$/i.test(j.op) ? Number.parseInt(j.op, 16) : undefined);
  if (kind === undefined) throw new MalformedMessageError(`unknown kind name ${j.kind}`);
  if (op === undefined) throw new MalformedMessageError(`unknown op name ${j.op}`);
  const b = jsonToCbor(j.body);
  if (!(b instanceof Map)) throw new MalformedMessageError('body is not a map');
  return { kind, op, id: j.id, body: b };
}
