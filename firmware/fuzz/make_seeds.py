#!/usr/bin/env python3
"""Seed inputs for fuzz_netbridge from proto/vectors/frames.json, one file per input.

The first byte of an input picks the harness mode (see fuzz_netbridge.c): 0 line bytes into a link
(in pieces: a length byte, then up to 256 bytes), 1 a DATA payload, 2 a run between delimiters,
3 a frame to encode (type selector, seq, ack, win, payload). Besides every vector, a few whole
conversations are built: the host's RST, then pipelined PING requests, so the link gets past its
handshake and the message layer sees traffic.

    make_seeds.py VECTORS_JSON OUT_DIR
"""
import hashlib
import json
import os
import struct
import sys
import zlib


def cobs(data: bytes) -> bytes:
    out, block = bytearray(), bytearray()
    for b in data:
        if b == 0:
            out += bytes([len(block) + 1]) + block
            block.clear()
        else:
            block.append(b)
            if len(block) == 254:
                out += b"\xff" + block
                block.clear()
    out += bytes([len(block) + 1]) + block
    return bytes(out)


def frame(ftype: int, seq: int, ack: int, win: int, payload: bytes = b"") -> bytes:
    raw = bytes([0x10 | ftype, seq, ack, win]) + payload
    raw += struct.pack("<I", zlib.crc32(raw) & 0xFFFFFFFF)
    return b"\x00" + cobs(raw) + b"\x00"


def cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    if n < 256:
        return bytes([major << 5 | 24, n])
    if n < 65536:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    return bytes([major << 5 | 26]) + struct.pack(">I", n)


def ping_req(req_id: int, data: bytes) -> bytes:
    body = b"\xa1\x01" + cbor_head(2, len(data)) + data
    return b"\x84\x00\x02" + cbor_head(0, req_id) + body


def pieces(line: bytes) -> bytes:
    """Mode-0 framing: length byte (n-1) then n bytes; small pieces exercise split frames."""
    out, i, step = bytearray(), 0, 7
    while i < len(line):
        n = min(step, len(line) - i)
        out += bytes([n - 1]) + line[i : i + n]
        i += n
        step = 255 if step == 7 else 7
    return bytes(out)


def main() -> int:
    vectors_path, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    vectors = json.load(open(vectors_path))
    seeds = []
    for v in vectors["valid"] + vectors["invalid"]:
        wire = bytes.fromhex(v["wire"])
        seeds.append(b"\x00" + pieces(wire))
        seeds.append(b"\x02" + wire.strip(b"\x00"))
        if "payload" in v:
            payload = bytes.fromhex(v["payload"])
            seeds.append(b"\x01" + payload)
            f = v.get("frame", {})
            seeds.append(b"\x03" + bytes([0, f.get("seq", 0), f.get("ack", 0), f.get("win", 4)]) + payload)
    # Conversations: RST, then PINGs in order, with a duplicate and a gap.
    rst = frame(0x3, 0, 0, 4, b"\x01\x02\x03\x04")
    pings = [frame(0x1, i, 0, 4, ping_req(i + 1, bytes(range(i * 3, i * 3 + 5)))) for i in range(6)]
    seeds.append(b"\x00" + pieces(rst + b"".join(pings)))
    seeds.append(b"\x00" + pieces(rst + pings[0] + pings[0] + pings[2] + pings[1]))
    seeds.append(b"\x00" + pieces(rst + frame(0x2, 0, 1, 4) + pings[0] + rst + pings[0]))
    big = frame(0x1, 0, 0, 4, ping_req(9, bytes(range(256)) * 3))
    seeds.append(b"\x00" + pieces(rst + big + b"console text\r\n" + big))
    for s in seeds:
        name = hashlib.sha1(s).hexdigest()
        with open(os.path.join(out_dir, name), "wb") as fh:
            fh.write(s)
    print(f"{len(seeds)} seeds in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
