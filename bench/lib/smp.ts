/**
 * MCUmgr's SMP serial framing, for counting wire bytes only (nothing here talks to a device).
 *
 * A packet (SMP header + CBOR body) travels as: big-endian 16-bit length, the packet, its
 * CRC-16/XMODEM (CCITT polynomial 0x1021, init 0, big-endian), all base64-encoded and cut into
 * lines of at most 127 bytes: the first line starts with 0x06 0x09, the next ones with 0x04 0x14,
 * each ends with '\n'. The length field counts the packet and the CRC.
 */

export const SMP_LINE_MAX = 127;
const START = [0x06, 0x09] as const;
const CONTINUATION = [0x04, 0x14] as const;
export const SMP_HEADER_SIZE = 8;

/** Base64 characters per line: 127 less the 2-byte marker and '\n', rounded down to a quantum. */
export const SMP_B64_PER_LINE = Math.floor((SMP_LINE_MAX - 3) / 4) * 4;

export function crc16Xmodem(data: Uint8Array, crc = 0): number {
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The serial lines carrying one SMP packet. */
export function smpSerialEncode(packet: Uint8Array): Uint8Array {
  const total = packet.length + 2;
  if (total > 0xffff) throw new RangeError(`SMP packet of ${packet.length} bytes does not fit the length field`);
  const body = new Uint8Array(2 + packet.length + 2);
  new DataView(body.buffer).setUint16(0, total, false);
  body.set(packet, 2);
  new DataView(body.buffer).setUint16(2 + packet.length, crc16Xmodem(packet), false);
  const b64 = Buffer.from(body).toString('base64');
  const lines: Buffer[] = [];
  for (let off = 0, first = true; off < b64.length; off += SMP_B64_PER_LINE, first = false) {
    lines.push(Buffer.from(first ? START : CONTINUATION));
    lines.push(Buffer.from(b64.slice(off, off + SMP_B64_PER_LINE), 'latin1'));
    lines.push(Buffer.from('\n'));
  }
  return new Uint8Array(Buffer.concat(lines));
}

export class SmpFramingError extends Error {
  readonly code = 'NB_BENCH_SMP_FRAMING';
}

/** Inverse of smpSerialEncode, checking markers, line lengths, length and CRC (self-check). */
export function smpSerialDecode(wire: Uint8Array): Uint8Array {
  const text = Buffer.from(wire);
  let b64 = '';
  let pos = 0;
  let first = true;
  while (pos < text.length) {
    const nl = text.indexOf(0x0a, pos);
    if (nl < 0) throw new SmpFramingError('line without newline');
    const line = text.subarray(pos, nl + 1);
    if (line.length > SMP_LINE_MAX) throw new SmpFramingError(`line of ${line.length} bytes`);
    const marker = first ? START : CONTINUATION;
    if (line[0] !== marker[0] || line[1] !== marker[1]) throw new SmpFramingError('bad line marker');
    b64 += line.subarray(2, line.length - 1).toString('latin1');
    pos = nl + 1;
    first = false;
  }
  const body = Buffer.from(b64, 'base64');
  const total = body.readUInt16BE(0);
  if (total !== body.length - 2) throw new SmpFramingError(`length ${total}, got ${body.length - 2}`);
  const packet = body.subarray(2, body.length - 2);
  if (crc16Xmodem(packet) !== body.readUInt16BE(body.length - 2)) throw new SmpFramingError('CRC mismatch');
  return new Uint8Array(packet);
}

/**
 * An SMP image-upload request (group 1, command 1) carrying `data` at offset `off`: the 8-byte
 * header and the CBOR map {"data": bstr, "off": uint} (the first chunk also has "len"; left out
 * here, as it is a few bytes once per image).
 */
export function smpImageUploadPacket(data: Uint8Array, off: number, seq = 0): Uint8Array {
  const cbor = Buffer.concat([
    Buffer.from([0xa2, 0x64]), // map(2), text(4)
    Buffer.from('data'),
    cborHead(2, data.length), // bstr
    data,
    Buffer.from([0x63]), // text(3)
    Buffer.from('off'),
    cborHead(0, off), // uint
  ]);
  const packet = new Uint8Array(SMP_HEADER_SIZE + cbor.length);
  const v = new DataView(packet.buffer);
  packet[0] = 0x0a; // version 1, op 2 (write request)
  packet[1] = 0; // flags
  v.setUint16(2, cbor.length, false);
  v.setUint16(4, 1, false); // group: image management
  packet[6] = seq & 0xff;
  packet[7] = 1; // command: upload
  packet.set(cbor, SMP_HEADER_SIZE);
  return packet;
}

/** A CBOR item head (major type, argument) in its shortest form. */
function cborHead(major: number, n: number): Buffer {
  const m = major << 5;
  if (n < 24) return Buffer.from([m | n]);
  if (n < 0x100) return Buffer.from([m | 24, n]);
  if (n < 0x10000) return Buffer.from([m | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = m | 26;
  b.writeUInt32BE(n >>> 0, 1);
  return b;
}
