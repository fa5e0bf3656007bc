/**
 * Golden vectors for the link and message layers, declared by meaning and written to
 * proto/vectors/frames.json (committed; the host tests and the firmware tests both consume it).
 *
 *   npx tsx scripts/gen-vectors.ts            # rewrite proto/vectors/frames.json
 *   npx tsx scripts/gen-vectors.ts --check    # exit 1 if the file differs from what this declares
 *
 * Regenerate only deliberately: a change here is a wire change. Every (kind, op) pair of
 * proto/netbridge.cddl appears at least once; test/vectors.test.ts checks that coverage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CborValue } from '../src/codec/cbor.js';
import { fromHex, toHex } from '../src/codec/fields.js';
import { type JsonValue, type MessageJson, messageToJson } from '../src/codec/json.js';
import { Kind, type Message, Op, body, encodeMessage } from '../src/codec/messages.js';
import { cobsEncode } from '../src/framing/cobs.js';
import { DEFAULT_MTU, type Frame, FrameType, type FrameTypeName, encodeFrame, encodeWire } from '../src/framing/frame.js';

export const VECTORS_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'proto', 'vectors', 'frames.json');

export interface ValidVector {
  name: string;
  description: string;
  wire: string;
  frame: { type: FrameTypeName; seq: number; ack: number; win: number };
  payload: string;
  message?: MessageJson;
}

export type InvalidError = 'CRC' | 'COBS' | 'SHORT' | 'TYPE' | 'VERSION' | 'OVERSIZE' | 'MALFORMED';

export interface InvalidVector {
  name: string;
  description: string;
  wire: string;
  error: InvalidError;
  /** MALFORMED only: the DATA payload (the bad CBOR), for message-layer decoder tests. */
  payload?: string;
}

export interface VectorFile {
  version: 1;
  mtu: number;
  valid: ValidVector[];
  invalid: InvalidVector[];
}

// ------------------------------------------------------------------------------------------ values

const MTU = DEFAULT_MTU;
/** Frame header used unless a vector says otherwise: first DATA of a fresh link, window 4. */
const HOST = { seq: 0, ack: 0, win: 4 };
const BOARD = { seq: 0, ack: 1, win: 4 };

const ip4 = (s: string) => new Uint8Array(s.split('.').map(Number));
const ip6 = (hex: string) => fromHex(hex);
const bytes = (hex: string) => fromHex(hex);
const text = (s: string) => new TextEncoder().encode(s);
const map = (...entries: [number, CborValue | undefined][]) => body(entries);

// Zephyr numbers (include/zephyr/net/*.h): AF_INET 1, AF_INET6 2, SOCK_STREAM 1, SOCK_DGRAM 2,
// IPPROTO_TCP 6, IPPROTO_UDP 17, SOL_SOCKET 1, SO_REUSEADDR 2, SOL_TLS 282, TLS_SEC_TAG_LIST 1,
// ZSOCK_POLLIN 1, ZSOCK_SHUT_WR 1, ZSOCK_MSG_PEEK 2, F_GETFL 3, F_SETFL 4, O_NONBLOCK 0x4000,
// FIONBIO 0x5421.
const AF_INET = 1;
const AF_INET6 = 2;
const sockaddr4 = (addr: string, port?: number) => map([1, AF_INET], [2, ip4(addr)], [3, port]);
const sockaddr6 = (hex: string, port: number, scope?: number) => map([1, AF_INET6], [2, ip6(hex)], [3, port], [4, scope]);

/** NET_EVENT_IPV4_ADDR_ADD on Zephyr >= 4.1: event|iface bits, layer L3 (2), code IPv4 (3), cmd bit 0. */
const NET_EVENT_IPV4_ADDR_ADD_64 = 0xe030000000000001n;
/** The same event in Zephyr's older 32-bit layout (<= 4.0). */
const NET_EVENT_IPV4_ADDR_ADD_32 = 0xe0040001;
/** NET_EVENT_IF_UP on Zephyr >= 4.1 (layer L2, code iface 1, cmd bit 1). */
const NET_EVENT_IF_UP_64 = 0xd010000000000002n;
/** Subscription mask: IPv4 ADDR_ADD | ADDR_DEL. */
const IPV4_ADDR_MASK_64 = 0xe030000000000003n;

// ------------------------------------------------------------------------------------------ declarations

interface MessageSpec {
  name: string;
  description: string;
  msg: Message;
  frame?: Partial<typeof HOST>;
}

const req = (op: number, id: number, b: Map<number, CborValue>): Message => ({ kind: Kind.REQ, op, id, body: b });
const rsp = (op: number, id: number, b: Map<number, CborValue> = new Map()): Message => ({ kind: Kind.RSP, op, id, body: b });
const ntf = (op: number, id: number, b: Map<number, CborValue>): Message => ({ kind: Kind.NTF, op, id, body: b });

function messageSpecs(): MessageSpec[] {
  const s: MessageSpec[] = [];
  const add = (name: string, description: string, msg: Message, frame?: Partial<typeof HOST>) =>
    s.push(frame ? { name, description, msg, frame } : { name, description, msg });
  const pair = (stem: string, what: string, op: number, id: number, reqBody: Map<number, CborValue>, rspBody?: Map<number, CborValue>) => {
    add(`${stem}-req`, `${what}: request`, req(op, id, reqBody));
    add(`${stem}-rsp`, `${what}: response`, rsp(op, id, rspBody), BOARD);
  };

  // ---- session
  add('ping-req', 'PING request with 2 bytes to echo (the worked example in README.md)', req(Op.PING, 1, map([1, bytes('0102')])));
  add('ping-rsp', 'PING response echoing the 2 bytes', rsp(Op.PING, 1, map([1, bytes('0102')])), BOARD);
  add('ping-req-empty-body', 'PING request with an empty body: the smallest message', req(Op.PING, 2, map()));
  add('ping-rsp-empty-body', 'PING response with an empty body', rsp(Op.PING, 2), BOARD);
  add(
    'hello-req',
    'HELLO request (id 0): versions 1..1, schema hash, host MTU 1024, window 8',
    req(Op.HELLO, 0, map([1, 1], [2, 1], [3, bytes('cbe4b43ed3d1a5b2')], [4, 1024], [5, 8])),
  );
  add(
    'hello-rsp',
    'HELLO response from an mps2/an385 with events, sockets, dns, ipv4, ipv6, dhcpv4 (bits 0,1,3,4,5,6 = 0x7b)',
    rsp(
      Op.HELLO,
      0,
      map(
        [1, 1],
        [2, bytes('cbe4b43ed3d1a5b2')],
        [3, 1024],
        [4, 4],
        [5, 0x7b],
        [6, 'mps2/an385'],
        [7, '4.1.99'],
        [8, '0.1.0'],
        [9, bytes('0011223344556677')],
        [10, map([1, 8], [2, 4], [3, 16], [4, 8], [5, 2048], [6, 960])],
        [11, 1234],
      ),
    ),
    BOARD,
  );
  pair('stats', 'STATS', Op.STATS, 3, map(), map([1, 10], [2, 12], [3, 1], [4, 57], [5, 0], [6, 0], [7, 0], [8, 1], [9, 0], [13, 3], [14, 5120], [15, 60000]));
  pair('reboot', 'REBOOT (the board answers, flushes, then reboots)', Op.REBOOT, 4, map());
  pair('sink', 'SINK 4 bytes', Op.SINK, 5, map([1, bytes('deadbeef')]), map([1, 4]));
  add('overrun-ntf', 'OVERRUN: 3 events dropped since the last report, 7 since boot', ntf(Op.OVERRUN, 9, map([1, 1], [2, 3], [3, 7])), BOARD);
  add('log-ntf', 'LOG line at level 3 (info)', ntf(Op.LOG, 10, map([1, 3], [2, '<inf> net_config: Initializing network'])), BOARD);

  // ---- errors
  add('err-plain', 'ERR with errno only: EOPNOTSUPP (95) for an op the board lacks', {
    kind: Kind.ERR, op: Op.TLS_CRED_GET, id: 20, body: map([1, 95], [2, 'EOPNOTSUPP']),
  }, BOARD);
  add('err-extack', 'ERR ENODEV (19) with an extended message', {
    kind: Kind.ERR, op: Op.IFACE_UP, id: 21, body: map([1, 19], [2, 'ENODEV'], [3, 'ifindex 9: no such interface']),
  }, BOARD);
  add('err-field', 'ERR EINVAL (22) naming the offending request field (key 2)', {
    kind: Kind.ERR, op: Op.ADDR_ADD, id: 22, body: map([1, 22], [2, 'EINVAL'], [3, 'address must be 4 or 16 bytes'], [4, 2]),
  }, BOARD);
  add('err-gai', 'ERR for GETADDRINFO: errno 0 and DNS_EAI_NONAME (-2) in key 5, its name in key 2', {
    kind: Kind.ERR, op: Op.GETADDRINFO, id: 23, body: map([1, 0], [2, 'DNS_EAI_NONAME'], [5, -2]),
  }, BOARD);

  // ---- net_mgmt
  pair('evt-subscribe', 'EVT_SUBSCRIBE to IPv4 ADDR_ADD|ADDR_DEL (64-bit mask)', Op.EVT_SUBSCRIBE, 30, map([1, [IPV4_ADDR_MASK_64]]));
  add(
    'event-ntf-ipv4-addr-add',
    'EVENT NET_EVENT_IPV4_ADDR_ADD, Zephyr 4.x 64-bit code 0xe030000000000001, 10.0.2.15/24 on ifindex 1',
    ntf(Op.EVENT, 11, map([1, NET_EVENT_IPV4_ADDR_ADD_64], [2, 1], [3, 5021], [4, map([1, 4], [2, ip4('10.0.2.15')], [3, 24])])),
    BOARD,
  );
  add(
    'event-ntf-32bit-code',
    'EVENT NET_EVENT_IPV4_ADDR_ADD in the 32-bit code layout (0xe0040001) of older Zephyr',
    ntf(Op.EVENT, 12, map([1, NET_EVENT_IPV4_ADDR_ADD_32], [2, 1], [3, 5022], [4, map([1, 4], [2, ip4('10.0.2.15')])])),
    BOARD,
  );
  add(
    'event-ntf-no-info',
    'EVENT NET_EVENT_IF_UP (0xd010000000000002) with no info',
    ntf(Op.EVENT, 13, map([1, NET_EVENT_IF_UP_64], [2, 1], [3, 5023])),
    BOARD,
  );
  add('iface-dump-req', 'IFACE_DUMP of every interface', req(Op.IFACE_DUMP, 31, map()));
  add('iface-dump-req-one', 'IFACE_DUMP of ifindex 1', req(Op.IFACE_DUMP, 32, map([1, 1])));
  add(
    'iface-item',
    'ITEM: eth0, Ethernet, MTU 1500, admin+oper up with IPv4/IPv6 (flags 0x1b), one DHCP address, one DNS server',
    {
      kind: Kind.ITEM,
      op: Op.IFACE_DUMP,
      id: 31,
      body: map(
        [1, 1],
        [2, 'eth0'],
        [3, 'ETHERNET'],
        [4, 1500],
        [5, 0x1b],
        [6, bytes('020000000001')],
        [7, [map([1, 4], [2, ip4('10.0.2.15')], [3, 24], [4, 1], [5, 2], [6, 86400])]],
        [8, [sockaddr4('10.0.2.3', 53)]],
        [9, 'zephyr'],
      ),
    },
    BOARD,
  );
  add('iface-done', 'DONE: 1 item, not interrupted', { kind: Kind.DONE, op: Op.IFACE_DUMP, id: 31, body: map([1, 1], [2, false]) }, BOARD);
  add(
    'iface-done-interrupted',
    'DONE: 2 items, interrupted (state changed during the dump; the host repeats it)',
    { kind: Kind.DONE, op: Op.IFACE_DUMP, id: 32, body: map([1, 2], [2, true]) },
    BOARD,
  );
  pair('iface-up', 'IFACE_UP ifindex 1', Op.IFACE_UP, 33, map([1, 1]));
  pair('iface-down', 'IFACE_DOWN ifindex 1', Op.IFACE_DOWN, 34, map([1, 1]));
  pair('addr-add', 'ADDR_ADD 192.0.2.1/24 on ifindex 1, lifetime 3600 s', Op.ADDR_ADD, 35, map([1, 1], [2, ip4('192.0.2.1')], [3, 24], [4, 3600]));
  pair('addr-del', 'ADDR_DEL 2001:db8::1 on ifindex 1', Op.ADDR_DEL, 36, map([1, 1], [2, ip6('20010db8000000000000000000000001')]));
  pair('dhcpv4-start', 'DHCPV4_START on ifindex 1', Op.DHCPV4_START, 37, map([1, 1]));
  pair('dhcpv4-stop', 'DHCPV4_STOP on ifindex 1', Op.DHCPV4_STOP, 38, map([1, 1]));
  pair('hostname-set', 'HOSTNAME_SET "netbridge-1"', Op.HOSTNAME_SET, 39, map([1, 'netbridge-1']));
  pair(
    'net-mgmt',
    'NET_MGMT request code 0x6030000000000005 (iface bit, layer L3, IPv4 code, command 5) on ifindex 1 with a 4-byte struct',
    Op.NET_MGMT,
    40,
    map([1, 0x6030000000000005n], [2, 1], [3, bytes('0a00020f')]),
    map([1, bytes('01')]),
  );

  // ---- sockets
  pair('socket', 'SOCKET AF_INET, SOCK_STREAM, IPPROTO_TCP -> fd 3', Op.SOCKET, 50, map([1, AF_INET], [2, 1], [3, 6]), map([1, 3]));
  pair('socketpair', 'SOCKETPAIR AF_UNIX (6), SOCK_STREAM, 0 -> fds 4, 5', Op.SOCKETPAIR, 51, map([1, 6], [2, 1], [3, 0]), map([1, [4, 5]]));
  pair('close', 'CLOSE fd 3', Op.CLOSE, 52, map([1, 3]));
  pair('shutdown', 'SHUTDOWN fd 3, ZSOCK_SHUT_WR (1)', Op.SHUTDOWN, 53, map([1, 3], [2, 1]));
  pair('bind', 'BIND fd 3 to 0.0.0.0:4242', Op.BIND, 54, map([1, 3], [2, sockaddr4('0.0.0.0', 4242)]));
  pair('connect', 'CONNECT fd 3 to [2001:db8::2]:443 scope 0', Op.CONNECT, 55, map([1, 3], [2, sockaddr6('20010db8000000000000000000000002', 443, 0)]));
  pair('listen', 'LISTEN fd 3, backlog 2', Op.LISTEN, 56, map([1, 3], [2, 2]));
  pair('accept', 'ACCEPT on fd 3, timeout -1 (forever) -> fd 6 from 10.0.2.2:51000', Op.ACCEPT, 57, map([1, 3], [2, -1]), map([1, 6], [2, sockaddr4('10.0.2.2', 51000)]));
  pair('send', 'SEND "hello" on fd 6 with MSG_DONTWAIT (0x40) to 10.0.2.2:7', Op.SEND, 58, map([1, 6], [2, text('hello')], [3, 0x40], [4, sockaddr4('10.0.2.2', 7)]), map([1, 5]));
  pair(
    'recv',
    'RECV up to 512 bytes from fd 6, MSG_PEEK (2), source wanted, timeout 1000 ms',
    Op.RECV,
    59,
    map([1, 6], [2, 512], [3, 2], [4, true], [5, 1000]),
    map([1, text('world')], [2, sockaddr4('10.0.2.2', 7)]),
  );
  pair('poll', 'POLL fd 3 and fd 6 for ZSOCK_POLLIN (1), timeout 100 ms', Op.POLL, 60, map([1, [[3, 1], [6, 1]]], [2, 100]), map([1, [0, 1]], [2, 1]));
  pair('getsockopt', 'GETSOCKOPT fd 3 SOL_SOCKET (1) SO_REUSEADDR (2)', Op.GETSOCKOPT, 61, map([1, 3], [2, 1], [3, 2]), map([1, 1]));
  pair('setsockopt', 'SETSOCKOPT fd 3 SOL_TLS (282) TLS_SEC_TAG_LIST (1) = [42]', Op.SETSOCKOPT, 62, map([1, 3], [2, 282], [3, 1], [4, [42]]));
  pair('getsockname', 'GETSOCKNAME fd 3', Op.GETSOCKNAME, 63, map([1, 3]), map([1, sockaddr4('10.0.2.15', 4242)]));
  pair('getpeername', 'GETPEERNAME fd 6', Op.GETPEERNAME, 64, map([1, 6]), map([1, sockaddr4('10.0.2.2', 51000)]));
  pair('gethostname', 'GETHOSTNAME', Op.GETHOSTNAME, 65, map(), map([1, 'zephyr']));
  pair(
    'getaddrinfo',
    'GETADDRINFO "example.com" service "80" hints AF_INET SOCK_STREAM -> one address with canonical name',
    Op.GETADDRINFO,
    66,
    map([1, 'example.com'], [2, '80'], [3, map([1, AF_INET], [2, 1])]),
    map([1, [map([1, AF_INET], [2, 1], [3, 6], [4, sockaddr4('93.184.215.14', 80)], [5, 'example.com'])]]),
  );
  pair('getnameinfo', 'GETNAMEINFO 10.0.2.2:80 with NI_NUMERICHOST (1)', Op.GETNAMEINFO, 67, map([1, sockaddr4('10.0.2.2', 80)], [2, 1]), map([1, '10.0.2.2'], [2, '80']));
  pair('fcntl', 'FCNTL fd 3 F_SETFL (4) O_NONBLOCK (0x4000)', Op.FCNTL, 68, map([1, 3], [2, 4], [3, 0x4000]), map([1, 0]));
  pair('ioctl', 'IOCTL fd 3 FIONBIO (0x5421) 1', Op.IOCTL, 69, map([1, 3], [2, 0x5421], [3, 1]), map([1, 0]));
  pair('sock-stream', 'SOCK_STREAM fd 6: push mode with 4096 bytes of credit', Op.SOCK_STREAM, 70, map([1, 6], [2, 4096]));
  pair('sock-write', 'SOCK_WRITE "hello" on fd 6 at stream offset 1000: all 5 bytes taken, write offset now 1005', Op.SOCK_WRITE, 71, map([1, 6], [2, text('hello')], [3, 1000]), map([1, 5], [2, 1005]));
  pair('sock-write-behind', 'SOCK_WRITE at offset 1005 after a short write left the offset at 1002: nothing taken', Op.SOCK_WRITE, 72, map([1, 6], [2, text('world')], [3, 1005]), map([1, 0], [2, 1002]));
  add('sock-data-ntf', 'SOCK_DATA: 3 bytes pushed from fd 6', ntf(Op.SOCK_DATA, 14, map([1, 6], [2, bytes('616263')])), BOARD);
  add('sock-data-ntf-udp', 'SOCK_DATA from a UDP socket with its source', ntf(Op.SOCK_DATA, 15, map([1, 7], [2, bytes('00ff00')], [3, sockaddr4('10.0.2.2', 5353)])), BOARD);
  add('sock-event-ntf-eof', 'SOCK_EVENT: EOF on fd 6', ntf(Op.SOCK_EVENT, 16, map([1, 6], [2, 1])), BOARD);
  add('sock-event-ntf-error', 'SOCK_EVENT: error ECONNRESET (104) on fd 6', ntf(Op.SOCK_EVENT, 17, map([1, 6], [2, 2], [3, 104])), BOARD);
  pair('tls-cred-add', 'TLS_CRED_ADD sec tag 42, CA cert (DER bytes)', Op.TLS_CRED_ADD, 71, map([1, 42], [2, 1], [3, bytes('3082010a')]));
  pair('tls-cred-get', 'TLS_CRED_GET sec tag 42, CA cert', Op.TLS_CRED_GET, 72, map([1, 42], [2, 1]), map([1, bytes('3082010a')]));
  pair('tls-cred-del', 'TLS_CRED_DEL sec tag 42, CA cert', Op.TLS_CRED_DEL, 73, map([1, 42], [2, 1]));

  // ---- header edge cases
  add('seq-ack-wrap', 'PING request as DATA seq 255, ack 255: the last number before both wrap to 0', req(Op.PING, 0xffffffff, map()), {
    seq: 255,
    ack: 255,
    win: 64,
  });
  return s;
}

/** A SINK request whose encoded message is exactly `mtu` bytes: the largest legal DATA payload. */
function maxSizeMessage(mtu: number): Message {
  for (let n = mtu; n > 0; n--) {
    const m = req(Op.SINK, 6, map([1, new Uint8Array(n).map((_, i) => (i * 7 + 1) & 0xff)]));
    if (encodeMessage(m).length === mtu) return m;
  }
  throw new Error('no size fits');
}

// ------------------------------------------------------------------------------------------ invalid

function wireOfRaw(raw: Uint8Array): string {
  return `00${toHex(cobsEncode(raw))}00`;
}

/** A frame with a valid CRC over arbitrary header bytes (for VERSION / TYPE vectors). */
function rawFrame(vt: number, seq: number, ack: number, win: number, payload: Uint8Array): Uint8Array {
  const f = encodeFrame({ type: FrameType.DATA, seq, ack, win, payload });
  f[0] = vt;
  // Recompute the CRC over the modified header.
  new DataView(f.buffer).setUint32(f.length - 4, crc32(f.subarray(0, f.length - 4)), true);
  return f;
}

function invalidVectors(): InvalidVector[] {
  const v: InvalidVector[] = [];
  const ping = encodeFrame({ type: FrameType.DATA, ...HOST, payload: encodeMessage(req(Op.PING, 1, map([1, bytes('0102')]))) });

  const badCrc = ping.slice();
  badCrc[badCrc.length - 1] = (badCrc[badCrc.length - 1] as number) ^ 0x01;
  v.push({ name: 'bad-crc', description: 'ping-req with the last CRC byte flipped', wire: wireOfRaw(badCrc), error: 'CRC' });

  const badPayload = ping.slice();
  badPayload[6] = (badPayload[6] as number) ^ 0x10;
  v.push({ name: 'bad-crc-payload-bit', description: 'ping-req with one payload bit flipped (CRC no longer matches)', wire: wireOfRaw(badPayload), error: 'CRC' });

  v.push({ name: 'bad-cobs-overrun', description: 'COBS code byte 0x09 announces 8 bytes, only 2 follow', wire: '0009112200', error: 'COBS' });
  v.push({
    name: 'bad-cobs-console-text',
    description: 'console text alone between delimiters: its first byte ("[" = 0x5b) is read as a COBS code running past the end',
    wire: `00${toHex(text('[00:00:01.000,000] <inf> net_config: ok'))}00`,
    error: 'COBS',
  });
  v.push({ name: 'too-short', description: '7 bytes after COBS decoding, below the 8-byte minimum', wire: wireOfRaw(fromHex('11000004a1b2c3')), error: 'SHORT' });

  v.push({ name: 'unknown-type-5', description: 'frame type 0x5 (version 1), valid CRC', wire: wireOfRaw(rawFrame(0x15, 0, 0, 4, new Uint8Array(0))), error: 'TYPE' });
  v.push({ name: 'unknown-type-0', description: 'frame type 0x0 (version 1), valid CRC', wire: wireOfRaw(rawFrame(0x10, 0, 0, 4, new Uint8Array(0))), error: 'TYPE' });
  v.push({ name: 'ack-with-payload', description: 'ACK frame carrying a payload byte (ACK payloads are empty)', wire: wireOfRaw(rawFrame(0x12, 0, 1, 4, fromHex('aa'))), error: 'TYPE' });
  v.push({ name: 'rst-short-nonce', description: 'RST with a 3-byte nonce (nonces are 4 bytes)', wire: wireOfRaw(rawFrame(0x13, 0, 0, 4, fromHex('010203'))), error: 'TYPE' });
  v.push({ name: 'wrong-link-version', description: 'link version 2 in the high nibble, valid CRC', wire: wireOfRaw(rawFrame(0x21, 0, 0, 4, ping.subarray(4, ping.length - 4))), error: 'VERSION' });

  const over = encodeFrame({ type: FrameType.DATA, seq: 0, ack: 0, win: 4, payload: new Uint8Array(MTU + 1).fill(0x55) });
  v.push({ name: 'oversize', description: `DATA payload of ${MTU + 1} bytes (MTU + 1), valid CRC`, wire: wireOfRaw(over), error: 'OVERSIZE' });

  const malformed: [string, string, string][] = [
    ['cbor-map-16bit-header', 'body map with a 16-bit length header for 1 key (b9 0001)', '84000201b900010142' + '0102'],
    ['cbor-tag-259', 'body map wrapped in tag 259 (cbor-x Map tag)', '840002' + '01' + 'd90103a0'],
    ['cbor-float', 'body value 1.5 as a half float (f9 3e00)', '840002' + '01' + 'a101f93e00'],
    ['cbor-indefinite-array', 'the message as an indefinite-length array', '9f000201a0ff'],
    ['cbor-unsorted-keys', 'body keys 2 then 1', '840002' + '01' + 'a2020001' + '00'],
    ['cbor-duplicate-key', 'body key 1 twice', '840002' + '01' + 'a201000100'],
    ['cbor-non-shortest-int', 'id 1 encoded as 18 01', '8400021801a0'],
    ['cbor-5-items', 'a 5-item message', '85000201a000'],
    ['cbor-3-items', 'a 3-item message (no body)', '83000201'],
    ['cbor-unknown-kind', 'kind 6 (kinds are 0..5)', '84060201a0'],
    ['cbor-body-not-map', 'body is an array', '8400020180'],
    ['cbor-id-over-32-bits', 'id 2^32 (ids are uint32)', '8400021b0000000100000000a0'],
    ['cbor-trailing-bytes', 'a valid message followed by one more byte', '84000201a000'],
    ['cbor-truncated', 'bstr announces 4 bytes, 2 follow', '84000201a101440102'],
    ['cbor-not-array', 'a bare map instead of the message array', 'a0'],
  ];
  for (const [name, description, hex] of malformed) {
    const payload = fromHex(hex);
    v.push({
      name,
      description: `DATA frame, valid CRC, payload is not a canonical message: ${description}`,
      wire: toHex(encodeWire({ type: FrameType.DATA, ...HOST, payload })),
      error: 'MALFORMED',
      payload: hex,
    });
  }
  return v;
}

// ------------------------------------------------------------------------------------------ assembly

function dataVector(name: string, description: string, msg: Message, hdr: typeof HOST): ValidVector {
  const payload = encodeMessage(msg);
  const frame: Frame = { type: FrameType.DATA, ...hdr, payload };
  return {
    name,
    description,
    wire: toHex(encodeWire(frame)),
    frame: { type: 'DATA', ...hdr },
    payload: toHex(payload),
    message: messageToJson(msg),
  };
}

function controlVector(name: string, description: string, type: 'ACK' | 'RST' | 'RST_ACK', hdr: typeof HOST, payloadHex: string): ValidVector {
  const payload = fromHex(payloadHex);
  return {
    name,
    description,
    wire: toHex(encodeWire({ type: FrameType[type], ...hdr, payload })),
    frame: { type, ...hdr },
    payload: payloadHex,
  };
}

export function buildVectors(): VectorFile {
  const valid: ValidVector[] = messageSpecs().map((s) => dataVector(s.name, s.description, s.msg, { ...HOST, ...s.frame }));
  valid.push(
    dataVector(
      'max-size',
      `SINK request whose message is exactly the MTU (${MTU} bytes): the largest legal DATA payload`,
      maxSizeMessage(MTU),
      { seq: 7, ack: 3, win: 8 },
    ),
  );
  valid.push(controlVector('ack', 'ACK: expecting seq 5, window 4', 'ACK', { seq: 0, ack: 5, win: 4 }, ''));
  valid.push(controlVector('ack-window-0', 'ACK with window 0: pause the sender', 'ACK', { seq: 0, ack: 6, win: 0 }, ''));
  valid.push(controlVector('ack-gap', 'gap ACK (seq 1): expecting seq 7, a later frame arrived first; go back now', 'ACK', { seq: 1, ack: 7, win: 4 }, ''));
  valid.push(controlVector('rst', 'RST with nonce 0x12345678', 'RST', { seq: 0, ack: 0, win: 8 }, '12345678'));
  valid.push(controlVector('rst-ack', 'RST_ACK echoing nonce 0x12345678', 'RST_ACK', { seq: 0, ack: 0, win: 4 }, '12345678'));
  valid.push(controlVector('rst-nonce-with-zeros', 'RST whose nonce contains 0x00 bytes (COBS must stuff them)', 'RST', { seq: 0, ack: 0, win: 8 }, '00010000'));
  return { version: 1, mtu: MTU, valid, invalid: invalidVectors() };
}

/** Serialised form: one vector per block, stable key order, trailing newline. */
export function renderVectors(v: VectorFile): string {
  return `${JSON.stringify(v as unknown as JsonValue, null, 2)}\n`;
}

function main(): void {
  const rendered = renderVectors(buildVectors());
  if (process.argv.includes('--check')) {
    const current = readFileSync(VECTORS_PATH, 'utf8');
    if (current !== rendered) {
      console.error(`${VECTORS_PATH} is out of date: run npx tsx scripts/gen-vectors.ts`);
      process.exit(1);
    }
    console.log('frames.json is up to date');
    return;
  }
  writeFileSync(VECTORS_PATH, rendered);
  const v = buildVectors();
  console.log(`wrote ${v.valid.length} valid and ${v.invalid.length} invalid vectors to ${VECTORS_PATH}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
