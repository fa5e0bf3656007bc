/**
 * Link frames (PROTOCOL.md §1.2): vt|seq|ack|win|payload|crc32le, sent as 0x00 COBS(frame) 0x00.
 */
import { crc32 } from 'node:zlib';
import { FrameError } from '../errors.js';
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from './cobs.js';

export const LINK_VERSION = 1;
export const HEADER_SIZE = 4;
export const CRC_SIZE = 4;
export const MIN_FRAME_SIZE = HEADER_SIZE + CRC_SIZE;
export const DEFAULT_MTU = 1024;
export const NONCE_SIZE = 4;

export const FrameType = {
  DATA: 0x1,
  ACK: 0x2,
  RST: 0x3,
  RST_ACK: 0x4,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** `seq` of an ACK that asks the sender to go back now: the receiver dropped a frame (§1.2). */
export const ACK_GAP = 1;
export type FrameTypeName = keyof typeof FrameType;

const typeNames = new Map<number, FrameTypeName>(Object.entries(FrameType).map(([n, v]) => [v, n as FrameTypeName]));

export function frameTypeName(t: number): string {
  return typeNames.get(t) ?? `TYPE_${t}`;
}

export interface Frame {
  type: FrameType;
  /** DATA: sequence number mod 256; ACK: ACK_GAP to ask the sender to go back, else 0; others: 0. */
  seq: number;
  /** Next sequence number the sender expects (cumulative ack). */
  ack: number;
  /** Receive window the sender offers, in frames. */
  win: number;
  /** DATA: CBOR message; RST/RST_ACK: 4-byte nonce; ACK: empty. */
  payload: Uint8Array;
}

/** Largest frame (before COBS) for a payload MTU. */
export function maxFrameSize(mtu: number): number {
  return MIN_FRAME_SIZE + mtu;
}

/** Largest run between delimiters a receiver must buffer for a payload MTU. */
export function maxEncodedFrameSize(mtu: number): number {
  return cobsMaxEncodedLength(maxFrameSize(mtu));
}

function checkByte(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`frame ${name} ${v} is not a byte`);
}

/** Header + payload + CRC, before COBS. */
export function encodeFrame(frame: Frame): Uint8Array {
  checkByte('seq', frame.seq);
  checkByte('ack', frame.ack);
  checkByte('win', frame.win);
  const out = new Uint8Array(MIN_FRAME_SIZE + frame.payload.length);
  out[0] = (LINK_VERSION << 4) | frame.type;
  out[1] = frame.seq;
  out[2] = frame.ack;
  out[3] = frame.win;
  out.set(frame.payload, HEADER_SIZE);
  const crcAt = HEADER_SIZE + frame.payload.length;
  new DataView(out.buffer).setUint32(crcAt, crc32(out.subarray(0, crcAt)), true);
  return out;
}

/** The bytes on the line: 0x00 COBS(frame) 0x00. */
export function encodeWire(frame: Frame): Uint8Array {
  const stuffed = cobsEncode(encodeFrame(frame));
  const out = new Uint8Array(stuffed.length + 2);
  out.set(stuffed, 1);
  return out;
}

/** Expected payload length per control type; DATA is free (checked against the MTU). */
function payloadFits(type: number, length: number): boolean {
  if (type === FrameType.ACK) return length === 0;
  if (type === FrameType.RST || type === FrameType.RST_ACK) return length === NONCE_SIZE;
  return true;
}

/**
 * Parses a frame after COBS decoding. Checks, in order: SHORT, OVERSIZE, CRC, VERSION, TYPE (an
 * unknown type, or a control frame whose payload does not fit its type).
 */
export function parseFrame(raw: Uint8Array, mtu = DEFAULT_MTU): Frame {
  if (raw.length < MIN_FRAME_SIZE) throw new FrameError('SHORT', `frame of ${raw.length} bytes is shorter than ${MIN_FRAME_SIZE}`);
  if (raw.length > maxFrameSize(mtu)) throw new FrameError('OVERSIZE', `frame of ${raw.length} bytes exceeds ${maxFrameSize(mtu)}`);
  const crcAt = raw.length - CRC_SIZE;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const expected = crc32(raw.subarray(0, crcAt));
  const got = view.getUint32(crcAt, true);
  if (expected !== got) throw new FrameError('CRC', `CRC ${got.toString(16)} != ${expected.toString(16)}`);
  const vt = raw[0] as number;
  const version = vt >> 4;
  const type = vt & 0x0f;
  if (version !== LINK_VERSION) throw new FrameError('VERSION', `link version ${version}, expected ${LINK_VERSION}`);
  const payload = raw.slice(HEADER_SIZE, crcAt);
  if (!typeNames.has(type)) throw new FrameError('TYPE', `unknown frame type ${type}`);
  if (!payloadFits(type, payload.length)) {
    throw new FrameError('TYPE', `${frameTypeName(type)} frame with a ${payload.length}-byte payload`);
  }
  return { type: type as FrameType, seq: raw[1] as number, ack: raw[2] as number, win: raw[3] as number, payload };
}

/** Parses the bytes of one run between delimiters (still COBS-encoded). */
export function parseEncodedFrame(run: Uint8Array, mtu = DEFAULT_MTU): Frame {
  if (run.length > maxEncodedFrameSize(mtu)) {
    throw new FrameError('OVERSIZE', `run of ${run.length} bytes exceeds ${maxEncodedFrameSize(mtu)}`);
  }
  return parseFrame(cobsDecode(run), mtu);
}
