import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Op } from '../src/codec/messages.js';
import { BoardError } from '../src/errors.js';
import { Client } from '../src/session/client.js';
import { inet_ntop, inet_pton } from '../src/sockets/addr.js';
import * as C from '../src/sockets/constants.js';
import { FeatureUnsupportedError, InvalidArgumentError } from '../src/sockets/errors.js';
import { decodeOptionValue, encodeOptionValue } from '../src/sockets/options.js';
import { type PollFd, Sockets } from '../src/sockets/zsock.js';
import { createMemoryPair } from '../src/transport/memory.js';
import { SocketsFakeBoard, type SocketsFakeOptions } from './sockets-fake-board.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: SocketsFakeOptions = {}) {
  const [h, b] = createMemoryPair();
  const board = new SocketsFakeBoard(b, opts);
  cleanups.push(() => board.close());
  const client = await Client.open({ transport: h, timeout: 2000, heartbeatMs: 0 });
  cleanups.push(() => client.close());
  return { board, client, z: new Sockets(client) };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

const lo = (port: number) => ({ family: C.AF_INET, address: '127.0.0.1', port });

/** A connected TCP pair on the fake board: [client fd, accepted fd]. */
async function tcpPair(z: Sockets, port = 5000): Promise<[number, number, number]> {
  const l = await z.socket(C.AF_INET, C.SOCK_STREAM, C.IPPROTO_TCP);
  await z.bind(l, lo(port));
  await z.listen(l, 2);
  const c = await z.socket(C.AF_INET, C.SOCK_STREAM, C.IPPROTO_TCP);
  await z.connect(c, lo(port));
  const a = await z.accept(l, { boardTimeout: 0 });
  return [c, a.fd, l];
}

describe('constants', () => {
  const zephyr = process.env.ZEPHYR_BASE ?? path.join(homedir(), 'zephyrproject', 'zephyr');
  const socketH = path.join(zephyr, 'include', 'zephyr', 'net', 'socket.h');
  it.skipIf(!existsSync(socketH))('match the #defines of the Zephyr workspace headers', () => {
    const text = ['socket.h', 'net_ip.h'].map((f) => readFileSync(path.join(zephyr, 'include', 'zephyr', 'net', f), 'utf8')).join('\n');
    const define = (name: string): number | undefined => {
      const m = new RegExp(`#define\\s+(?:ZSOCK_)?${name}\\s+(0x[0-9a-fA-F]+|\\d+)\\b`).exec(text);
      if (m) return Number(m[1]);
      const e = new RegExp(`\\b${name}\\s*=\\s*(\\d+)`).exec(text);
      return e ? Number(e[1]) : undefined;
    };
    const names = [
      'MSG_PEEK', 'MSG_TRUNC', 'MSG_DONTWAIT', 'MSG_WAITALL', 'SHUT_RD', 'SHUT_WR', 'SHUT_RDWR', 'POLLIN', 'POLLOUT', 'POLLERR',
      'POLLHUP', 'POLLNVAL', 'SOL_SOCKET', 'SOL_TLS', 'SO_REUSEADDR', 'SO_ERROR', 'SO_RCVTIMEO', 'SO_BINDTODEVICE', 'TCP_NODELAY',
      'IP_TTL', 'IPV6_V6ONLY', 'IPV6_TCLASS', 'TLS_SEC_TAG_LIST', 'TLS_HOSTNAME', 'TLS_PEER_VERIFY', 'TLS_ALPN_LIST', 'TLS_DTLS_ROLE',
      'PF_INET', 'PF_INET6', 'SOCK_STREAM', 'IPPROTO_TCP', 'IPPROTO_UDP', 'IPPROTO_TLS_1_2', 'IPPROTO_DTLS_1_2', 'AI_PASSIVE', 'NI_NUMERICHOST',
    ];
    for (const name of names) {
      const ours = (C as Record<string, unknown>)[name.replace(/^PF_/, 'AF_')];
      expect(define(name), name).toBe(ours);
    }
  });

  it('gai_strerror names the code as Zephyr does', () => {
    expect(C.gai_strerror(C.EAI.EAI_NONAME)).toBe('EAI_NONAME');
    expect(C.gai_strerror(-2)).toBe('EAI_NONAME');
    expect(C.gai_strerror(-999)).toBe('EAI_UNKNOWN');
  });
});

describe('inet_pton / inet_ntop', () => {
  it('round-trips IPv4 and refuses what is not one', () => {
    expect(inet_pton(C.AF_INET, '10.0.2.2')).toEqual(new Uint8Array([10, 0, 2, 2]));
    expect(inet_ntop(C.AF_INET, new Uint8Array([192, 168, 1, 255]))).toBe('192.168.1.255');
    expect(inet_pton(C.AF_INET, '256.1.1.1')).toBeNull();
    expect(inet_pton(C.AF_INET, '::1')).toBeNull();
    expect(inet_ntop(C.AF_INET, new Uint8Array(5))).toBeNull();
  });

  it('writes IPv6 in RFC 5952 form and reads embedded IPv4', () => {
    expect(inet_ntop(C.AF_INET6, inet_pton(C.AF_INET6, '2001:db8:0:0:1:0:0:1') as Uint8Array)).toBe('2001:db8::1:0:0:1');
    expect(inet_ntop(C.AF_INET6, inet_pton(C.AF_INET6, '::1') as Uint8Array)).toBe('::1');
    expect(inet_ntop(C.AF_INET6, new Uint8Array(16))).toBe('::');
    expect(inet_pton(C.AF_INET6, '::ffff:1.2.3.4')).toEqual(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]));
    expect(inet_pton(C.AF_INET6, 'fe80::1%eth0')).toBeNull();
    expect(inet_pton(C.AF_INET6, '1.2.3.4')).toBeNull();
  });

  it('round-trips any 16 bytes and agrees with node on validity', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = inet_ntop(C.AF_INET6, bytes) as string;
        expect(isIPv6(text)).toBe(true);
        expect(inet_pton(C.AF_INET6, text)).toEqual(bytes);
      }),
    );
  });

  it('throws a typed EAFNOSUPPORT for another family', () => {
    const e = (() => {
      try {
        inet_pton(C.AF_PACKET, '1.2.3.4');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e).toMatchObject({ errnoName: 'EAFNOSUPPORT', errno: 106 });
  });
});

describe('socket option value forms', () => {
  it('carries booleans as 0/1, timeouts as ms, lists and linger in their wire forms', () => {
    expect(encodeOptionValue(C.SOL_SOCKET, C.SO_REUSEADDR, true)).toBe(1);
    expect(decodeOptionValue(C.SOL_SOCKET, C.SO_REUSEADDR, 0)).toBe(false);
    expect(encodeOptionValue(C.SOL_SOCKET, C.SO_RCVTIMEO, 1500)).toEqual([1, 500_000]);
    expect(decodeOptionValue(C.SOL_SOCKET, C.SO_SNDTIMEO, [2, 250_000])).toBe(2250);
    expect(encodeOptionValue(C.SOL_SOCKET, C.SO_RCVTIMEO, 0)).toEqual([0, 0]);
    expect(encodeOptionValue(C.SOL_TLS, C.TLS_SEC_TAG_LIST, [1, 42])).toEqual([1, 42]);
    expect(encodeOptionValue(C.SOL_TLS, C.TLS_ALPN_LIST, ['h2', 'http/1.1'])).toBe('h2,http/1.1');
    expect(decodeOptionValue(C.SOL_TLS, C.TLS_ALPN_LIST, 'h2,http/1.1')).toEqual(['h2', 'http/1.1']);
    expect(encodeOptionValue(C.SOL_SOCKET, C.SO_LINGER, { onoff: true, linger: 5 })).toEqual([1, 5]);
    expect(decodeOptionValue(C.SOL_SOCKET, C.SO_LINGER, [0, 0])).toEqual({ onoff: false, linger: 0 });
    expect(encodeOptionValue(C.SOL_TLS, C.TLS_HOSTNAME, 'localhost')).toBe('localhost');
  });

  it('refuses a value of the wrong form, and writes to read-only options, with typed errors', () => {
    const attempt = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    expect(attempt(() => encodeOptionValue(C.SOL_TLS, C.TLS_HOSTNAME, 5))).toMatchObject({ code: 'NB_INVALID_ARGUMENT', errnoName: 'EINVAL' });
    expect(attempt(() => encodeOptionValue(C.SOL_TLS, C.TLS_SEC_TAG_LIST, [1.5]))).toMatchObject({ errnoName: 'EINVAL' });
    expect(attempt(() => encodeOptionValue(C.SOL_SOCKET, C.SO_TYPE, 1))).toMatchObject({ errnoName: 'ENOPROTOOPT' });
    expect(attempt(() => decodeOptionValue(C.IPPROTO_IP, C.IP_TTL, 'x'))).toMatchObject({ code: 'NB_PROTOCOL' });
  });
});

describe('zsock mirror on a fake board', () => {
  it('connects, accepts, sends and receives over TCP with the peer names', async () => {
    const { z } = await setup();
    const [c, a] = await tcpPair(z);
    expect(await z.send(c, Buffer.from('hello'))).toBe(5);
    expect(Buffer.from(await z.recv(a, 100)).toString()).toBe('hello');
    expect(await z.getpeername(c)).toEqual(lo(5000));
    expect((await z.getsockname(c)).port).toBeGreaterThan(0);
    expect(await z.getsockopt(c, C.SOL_SOCKET, C.SO_TYPE)).toBe(C.SOCK_STREAM);
    await z.shutdown(c, C.SHUT_WR);
    expect((await z.recv(a, 100)).length).toBe(0); // orderly EOF
  });

  it('keeps short writes short: a send beyond one message carries dataLimit() bytes, the board count is returned', async () => {
    const { z, board } = await setup({ maxData: 300, sendMax: 100 });
    const [c, a] = await tcpPair(z);
    expect(z.dataLimit()).toBe(300);
    const n = await z.send(c, new Uint8Array(1000).fill(7));
    expect(n).toBe(100); // the board took 100: no hidden retry
    const sent = board.received.filter((m) => m.op === Op.SEND).at(-1);
    expect((sent?.body.get(2) as Uint8Array).length).toBe(300);
    expect((await z.recv(a, 1000)).length).toBe(100);
  });

  it('MSG_PEEK leaves the data, MSG_DONTWAIT fails with EAGAIN (Zephyr 11), MSG_WAITALL spans messages', async () => {
    const { z } = await setup({ maxData: 256 });
    const [c, a] = await tcpPair(z);
    await z.send(c, Buffer.from('abcdef'));
    expect(Buffer.from(await z.recv(a, 3, C.MSG_PEEK)).toString()).toBe('abc');
    expect(Buffer.from(await z.recv(a, 3)).toString()).toBe('abc');
    expect(await z.ioctl(a, C.FIONREAD)).toBe(3);
    expect(Buffer.from(await z.recv(a, 10)).toString()).toBe('def');
    const e = await rejection(z.recv(a, 10, C.MSG_DONTWAIT));
    expect(e).toBeInstanceOf(BoardError);
    expect(e).toMatchObject({ errno: 11, errnoName: 'EAGAIN' });
    const big = new Uint8Array(700).map((_, i) => i & 0xff);
    const reading = z.recv(a, 700, C.MSG_WAITALL);
    for (let off = 0; off < big.length; ) off += await z.send(c, big.subarray(off));
    expect(Buffer.from(await reading).equals(Buffer.from(big))).toBe(true);
  });

  it('UDP: sendto/recvfrom with the source, MSG_TRUNC reports the full length, recvmsg scatters', async () => {
    const { z } = await setup();
    const r = await z.socket(C.AF_INET, C.SOCK_DGRAM, C.IPPROTO_UDP);
    await z.bind(r, lo(6000));
    const s = await z.socket(C.AF_INET, C.SOCK_DGRAM, C.IPPROTO_UDP);
    await z.bind(s, lo(6001));
    await z.sendto(s, Buffer.from('0123456789'), 0, lo(6000));
    const cut = await z.recvfrom(r, 4, C.MSG_TRUNC);
    expect(Buffer.from(cut.data).toString()).toBe('0123');
    expect(cut.fullLength).toBe(10);
    expect(cut.flags & C.MSG_TRUNC).toBe(C.MSG_TRUNC);
    expect(cut.from).toEqual(lo(6001));
    await z.sendmsg(s, { iov: [Buffer.from('ab'), Buffer.from('cde')], name: lo(6000) });
    const m = await z.recvmsg(r, [1, 4]);
    expect(m.iov.map((b) => Buffer.from(b).toString())).toEqual(['a', 'bcde']);
    expect(m.name).toEqual(lo(6001));
  });

  it('maps board errors to BoardError with Zephyr numbers: ECONNREFUSED 111, EBADF 9, EAFNOSUPPORT 106, EMFILE', async () => {
    const { z } = await setup({ maxSockets: 3 });
    const c = await z.socket(C.AF_INET, C.SOCK_STREAM);
    expect(await rejection(z.connect(c, lo(9)))).toMatchObject({ code: 'NB_BOARD_ERRNO', errno: 111, errnoName: 'ECONNREFUSED' });
    expect(await rejection(z.send(42, Buffer.from('x')))).toMatchObject({ errno: 9, errnoName: 'EBADF' });
    expect(await rejection(z.socket(C.AF_PACKET, C.SOCK_STREAM))).toMatchObject({ errno: 106, errnoName: 'EAFNOSUPPORT' });
    await z.socket(C.AF_INET, C.SOCK_DGRAM);
    await z.socket(C.AF_INET, C.SOCK_DGRAM);
    expect(await rejection(z.socket(C.AF_INET, C.SOCK_DGRAM))).toMatchObject({ errnoName: 'EMFILE', errno: 24 });
    // the session is still healthy
    await z.close(c);
    expect(await z.socket(C.AF_INET, C.SOCK_DGRAM)).toBeTypeOf('number');
  });

  it('retries EBUSY about the bridge (no free worker) but not EBUSY about a socket', async () => {
    const { z, board, client } = await setup();
    board.busyNext = 3;
    expect(await z.socket(C.AF_INET, C.SOCK_DGRAM)).toBeTypeOf('number');
    expect(z.busyRetries).toBe(3);
    const [c] = await tcpPair(z);
    await client.request(Op.SOCK_STREAM, new Map([[1, c], [2, 100]]));
    const before = z.busyRetries;
    expect(await rejection(z.recv(c, 10))).toMatchObject({ errnoName: 'EBUSY', field: 1 });
    expect(z.busyRetries).toBe(before);
  });

  it('getaddrinfo resolves on the board; a resolver failure carries the DNS_EAI code', async () => {
    const { z } = await setup();
    const list = await z.getaddrinfo('localhost', undefined, { family: C.AF_INET });
    expect(list).toHaveLength(1);
    expect(list[0]?.addr.address).toBe('127.0.0.1');
    const e = (await rejection(z.getaddrinfo('no.such.host'))) as BoardError;
    expect(e).toBeInstanceOf(BoardError);
    expect(e.gaiError).toBe(C.EAI.EAI_NONAME);
    expect(z.gai_strerror(e.gaiError as number)).toBe('EAI_NONAME');
    z.freeaddrinfo(list);
    expect(list).toHaveLength(0);
    expect(await z.getnameinfo(lo(80), C.NI_NUMERICHOST)).toEqual({ host: '127.0.0.1', service: '80' });
    expect(await z.gethostname()).toBe('fake-board');
  });

  it('poll and select report readiness; select fails EBADF for a closed fd', async () => {
    const { z } = await setup();
    const [c, a] = await tcpPair(z);
    const fds: PollFd[] = [{ fd: a, events: C.POLLIN }, { fd: c, events: C.POLLOUT }];
    expect(await z.poll(fds, 0)).toBe(1);
    expect(fds[0]?.revents).toBe(0);
    expect(fds[1]?.revents).toBe(C.POLLOUT);
    const waiting = z.select([a], null, null, 2000);
    await z.send(c, Buffer.from('x'));
    expect(await waiting).toMatchObject({ count: 1, readfds: [a] });
    expect(await rejection(z.select([77], null, null, 0))).toMatchObject({ errnoName: 'EBADF' });
  });

  it('fcntl O_NONBLOCK and ioctl FIONBIO make a blocking recv fail with EAGAIN', async () => {
    const { z } = await setup();
    const [, a] = await tcpPair(z);
    expect(await z.fcntl(a, C.F_GETFL)).toBe(0);
    await z.fcntl(a, C.F_SETFL, C.O_NONBLOCK);
    expect(await z.fcntl(a, C.F_GETFL)).toBe(C.O_NONBLOCK);
    expect(await rejection(z.recv(a, 10))).toMatchObject({ errnoName: 'EAGAIN' });
    await z.ioctl(a, C.FIONBIO, 0);
    expect(await z.fcntl(a, C.F_GETFL)).toBe(0);
  });

  it('options round-trip through the board in their typed forms', async () => {
    const { z } = await setup();
    const s = await z.socket(C.AF_INET, C.SOCK_STREAM);
    await z.setsockopt(s, C.IPPROTO_TCP, C.TCP_NODELAY, true);
    expect(await z.getsockopt(s, C.IPPROTO_TCP, C.TCP_NODELAY)).toBe(true);
    await z.setsockopt(s, C.SOL_SOCKET, C.SO_LINGER, { onoff: true, linger: 3 });
    expect(await z.getsockopt(s, C.SOL_SOCKET, C.SO_LINGER)).toEqual({ onoff: true, linger: 3 });
    expect(await rejection(z.setsockopt(s, 999, 1, 1))).toMatchObject({ errnoName: 'ENOPROTOOPT' });
  });

  it('without F_TLS: TLS sockets, SOL_TLS options and credentials fail typed, before anything is sent', async () => {
    const { z, board } = await setup({ tls: false });
    const before = board.received.length;
    for (const p of [
      z.socket(C.AF_INET, C.SOCK_STREAM, C.IPPROTO_TLS_1_2),
      z.setsockopt(0, C.SOL_TLS, C.TLS_HOSTNAME, 'x'),
      z.tls_credential_add(1, C.TLS_CREDENTIAL_CA_CERTIFICATE, '-----BEGIN CERTIFICATE-----'),
      z.tls_credential_delete(1, C.TLS_CREDENTIAL_CA_CERTIFICATE),
    ]) {
      const e = await rejection(p);
      expect(e).toBeInstanceOf(FeatureUnsupportedError);
      expect(e).toMatchObject({ code: 'NB_TLS_UNSUPPORTED', feature: 'tls', errnoName: 'ENOTSUP' });
    }
    expect(board.received.length).toBe(before);
  });

  it('with F_TLS: a TLS socket is created and a PEM credential travels with its final NUL', async () => {
    const { z, board } = await setup({ tls: true });
    expect(z.has('tls')).toBe(true);
    expect(await z.socket(C.AF_INET, C.SOCK_STREAM, C.IPPROTO_TLS_1_2)).toBeTypeOf('number');
    await rejection(z.tls_credential_add(7, C.TLS_CREDENTIAL_CA_CERTIFICATE, 'PEM'));
    const add = board.received.find((m) => m.op === Op.TLS_CRED_ADD);
    expect(add?.body.get(1)).toBe(7);
    expect(Buffer.from(add?.body.get(3) as Uint8Array).toString('latin1')).toBe('PEM\0');
  });
});
