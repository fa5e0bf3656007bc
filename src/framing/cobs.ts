/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker): removes every 0x00 so 0x00 can delimit
 * frames. Same algorithm as Zephyr's include/zephyr/data/cobs.h (no trailing delimiter here; the
 * sender adds the 0x00s around the encoded frame).
 */
import { FrameError } from '../errors.js';

/** Worst-case encoded size of n bytes: one code byte per 254 data bytes, plus one. */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.floor(n / 254) + 1;
}

export function cobsEncode(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(input.length));
  let codeAt = 0;
  let o = 1;
  let code = 1;
  for (const b of input) {
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
      continue;
    }
    out[o++] = b;
    code++;
    if (code === 0xff) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    }
  }
  out[codeAt] = code;
  return out.subarray(0, o);
}

/** Decodes one COBS block sequence (no 0x00 inside). Throws FrameError('COBS') on bad input. */
export function cobsDecode(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length);
  let i = 0;
  let o = 0;
  while (i < input.length) {
    const code = input[i++] as number;
    if (code === 0) throw new FrameError('COBS', `COBS code byte 0x00 at offset ${i - 1}`);
    const end = i + code - 1;
    if (end > input.length) throw new FrameError('COBS', `COBS block at offset ${i - 1} runs past the end`);
    for (; i < end; i++) {
      const b = input[i] as number;
      if (b === 0) throw new FrameError('COBS', `0x00 inside COBS data at offset ${i}`);
      out[o++] = b;
    }
    // A block shorter than 254 data bytes stands for "data then 0x00", except at the very end.
    if (code !== 0xff && i < input.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}
