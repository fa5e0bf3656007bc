/**
 * Figures that need no board: wire bytes per payload byte (netbridge's framing vs MCUmgr's SMP
 * serial framing) and the host codec's frames per second, encode and decode.
 */
import { Kind, Op, body, decodeMessage, encodeMessage, type Message } from '../../src/codec/messages.js';
import { FrameDecoder } from '../../src/framing/decoder.js';
import { DEFAULT_MTU, FrameType, encodeWire } from '../../src/framing/frame.js';
import { crc16Xmodem, smpImageUploadPacket, smpSerialDecode, smpSerialEncode } from './smp.js';
import { pattern } from './util.js';

export class SelfCheckError extends Error {
  readonly code = 'NB_BENCH_SELF_CHECK';
}

function dataFrameWire(payload: Uint8Array, seq = 7): Uint8Array {
  return encodeWire({ type: FrameType.DATA, seq, ack: 3, win: 8, payload });
}

/** A SINK request (the protocol's bulk host->board message) as sent on the line. */
function sinkRequest(data: Uint8Array, id: number): Uint8Array {
  return encodeMessage({ kind: Kind.REQ, op: Op.SINK, id, body: body([[1, data]]) });
}

/** Largest SINK payload whose request fits `mtu` for any 32-bit id. */
export function largestSinkPayload(mtu: number): number {
  let n = mtu;
  while (n > 0 && sinkRequest(new Uint8Array(n), 0xffffffff).length > mtu) n--;
  return n;
}

/** Decodes what was encoded, so a wrong byte count cannot come from a wrong encoder. */
function checkNetbridge(wire: Uint8Array, payload: Uint8Array): void {
  const frames = new FrameDecoder(DEFAULT_MTU).push(wire);
  if (frames.length !== 1 || !Buffer.from(frames[0]!.payload).equals(Buffer.from(payload))) {
    throw new SelfCheckError('netbridge framing did not decode back to its payload');
  }
}

function checkSmp(wire: Uint8Array, packet: Uint8Array): void {
  if (!Buffer.from(smpSerialDecode(wire)).equals(Buffer.from(packet))) {
    throw new SelfCheckError('SMP serial framing did not decode back to its packet');
  }
}

export interface OverheadRow {
  /** What is carried: the payload bytes as a frame's whole content, or inside the bulk request. */
  what: 'framing' | 'request';
  payload: number;
  /** Wire bytes per payload byte; and its inverse, the best goodput / line rate the framing allows. */
  netbridge: number;
  mcumgr: number;
}

/**
 * Wire bytes per payload byte for one packet of each size, and for a 64 KiB transfer cut into
 * packets of at most 1 KiB (netbridge's default MTU; MCUmgr gets the same packet size).
 */
export function framingOverhead(sizes = [16, 64, 256, 1000]): { rows: OverheadRow[]; bulk: OverheadRow[] } {
  // CRC-16/XMODEM's check value (the CRC catalogue's "123456789" -> 0x31c3).
  if (crc16Xmodem(Buffer.from('123456789')) !== 0x31c3) throw new SelfCheckError('CRC16 check value mismatch');
  const rows: OverheadRow[] = [];
  for (const n of sizes) {
    const data = pattern(n, n);
    const nbWire = dataFrameWire(data);
    checkNetbridge(nbWire, data);
    const smpWire = smpSerialEncode(data);
    checkSmp(smpWire, data);
    rows.push({ what: 'framing', payload: n, netbridge: nbWire.length / n, mcumgr: smpWire.length / n });

    const req = sinkRequest(data, 1000 + n);
    const nbReqWire = dataFrameWire(req);
    checkNetbridge(nbReqWire, req);
    const smpPacket = smpImageUploadPacket(data, 4096 + n);
    const smpReqWire = smpSerialEncode(smpPacket);
    checkSmp(smpReqWire, smpPacket);
    rows.push({ what: 'request', payload: n, netbridge: nbReqWire.length / n, mcumgr: smpReqWire.length / n });
  }

  const total = 64 * 1024;
  const data = pattern(total, 64);
  const nbChunk = largestSinkPayload(DEFAULT_MTU);
  // SMP: the largest chunk whose upload packet stays within 1 KiB, like netbridge's MTU.
  let smpChunk = DEFAULT_MTU;
  while (smpImageUploadPacket(new Uint8Array(smpChunk), total).length > DEFAULT_MTU) smpChunk--;
  let nbFraming = 0;
  let nbRequest = 0;
  let smpFraming = 0;
  let smpRequest = 0;
  for (let off = 0, id = 1; off < total; off += nbChunk, id++) {
    const chunk = data.subarray(off, Math.min(total, off + nbChunk));
    nbRequest += dataFrameWire(sinkRequest(chunk, id), id & 0xff).length;
  }
  for (let off = 0; off < total; off += DEFAULT_MTU) {
    const chunk = data.subarray(off, Math.min(total, off + DEFAULT_MTU));
    nbFraming += dataFrameWire(chunk).length;
    smpFraming += smpSerialEncode(chunk).length;
  }
  for (let off = 0, seq = 0; off < total; off += smpChunk, seq++) {
    smpRequest += smpSerialEncode(smpImageUploadPacket(data.subarray(off, Math.min(total, off + smpChunk)), off, seq)).length;
  }
  return {
    rows,
    bulk: [
      { what: 'framing', payload: total, netbridge: nbFraming / total, mcumgr: smpFraming / total },
      { what: 'request', payload: total, netbridge: nbRequest / total, mcumgr: smpRequest / total },
    ],
  };
}

export interface CodecRate {
  message: string;
  /** Wire bytes of one frame. */
  wireBytes: number;
  encodePerSec: number;
  decodePerSec: number;
}

/** Runs fn repeatedly for about ms and returns calls per second. */
function rate(ms: number, fn: () => void): number {
  for (let i = 0; i < 200; i++) fn(); // warm the JIT
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 100; i++) fn();
    calls += 100;
    now = performance.now();
  }
  return (calls * 1000) / (now - start);
}

/**
 * Encode: message -> CBOR -> frame + CRC -> COBS; decode: bytes -> FrameDecoder -> CBOR message.
 * One thread, the same code paths the Link and Client use.
 */
export function codecRates(ms: number): CodecRate[] {
  const messages: { name: string; msg: Message }[] = [
    { name: 'PING request, no payload', msg: { kind: Kind.REQ, op: Op.PING, id: 4242, body: new Map() } },
    {
      name: 'EVENT notification (IPv4 address added)',
      msg: {
        kind: Kind.NTF,
        op: Op.EVENT,
        id: 77,
        body: body([
          [1, 0xe004000000000001n],
          [2, 1],
          [3, 123456],
          [4, body([[1, 4], [2, new Uint8Array([10, 0, 2, 15])], [3, 24], [4, 86400]])],
        ]),
      },
    },
    { name: 'SINK request, 1000-byte payload', msg: { kind: Kind.REQ, op: Op.SINK, id: 4242, body: body([[1, pattern(1000, 9)]]) } },
  ];
  const out: CodecRate[] = [];
  for (const { name, msg } of messages) {
    const wire = dataFrameWire(encodeMessage(msg));
    const back = decodeMessage(new FrameDecoder(DEFAULT_MTU).push(wire)[0]!.payload);
    if (back.op !== msg.op || back.id !== msg.id) throw new SelfCheckError(`${name}: decode mismatch`);
    let sink = 0;
    const encodePerSec = rate(ms, () => {
      sink += dataFrameWire(encodeMessage(msg)).length;
    });
    const decoder = new FrameDecoder(DEFAULT_MTU);
    const decodePerSec = rate(ms, () => {
      for (const f of decoder.push(wire)) sink += decodeMessage(f.payload).id;
    });
    if (sink === 0) throw new SelfCheckError('codec loop did nothing');
    out.push({ message: name, wireBytes: wire.length, encodePerSec, decodePerSec });
  }
  return out;
}
