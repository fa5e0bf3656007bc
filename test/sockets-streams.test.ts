import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Op } from '../src/codec/messages.js';
import { Client } from '../src/session/client.js';
import * as C from '../src/sockets/constants.js';
import { ConnectionResetError } from '../src/sockets/errors.js';
import { createNetApi } from '../src/sockets/net.js';
import type { BoardSocket } from '../src/sockets/streams.js';
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
  const client = await Client.open({ transport: h, timeout: 3000, heartbeatMs: 0 });
  cleanups.push(() => client.close());
  return { board, client, net: createNetApi(client) };
}

function pattern(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function readAll(s: BoardSocket): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of s) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An echo server on the board; resolves with it listening on `port`. */
async function echoServer(net: ReturnType<typeof createNetApi>, port: number) {
  const server = net.createServer({ acceptPollMs: 0 }, (s) => {
    s.on('error', () => {}); // the client side's assertions are what count
    s.pipe(s);
  });
  await server.listen(port, '127.0.0.1');
  return server;
}

describe('BoardSocket / BoardServer', () => {
  it('echoes 64 KiB through a board server byte for byte, with short writes resent', async () => {
    const { net } = await setup({ window: 1500, sendMax: 333 });
    const server = await echoServer(net, 7000);
    expect(server.address()).toMatchObject({ address: '127.0.0.1', port: 7000, family: 'IPv4' });
    const s = await net.connectAsync({ host: '127.0.0.1', port: 7000 });
    expect(s.remoteAddress).toBe('127.0.0.1');
    expect(s.remotePort).toBe(7000);
    const data = pattern(64 * 1024, 1);
    const reading = readAll(s);
    s.end(data);
    const got = await reading;
    expect(got.length).toBe(data.length);
    expect(sha(got)).toBe(sha(data));
    expect(s.counters().shortWrites).toBeGreaterThan(0);
    expect(s.bytesWritten).toBe(data.length);
    expect(s.bytesRead).toBe(data.length);
    await server.close();
  });

  it('a paused reader holds the board: no more than the high-water mark is pushed, the writer waits (EAGAIN)', async () => {
    const { net, board } = await setup({ window: 2048 });
    let serverSide: BoardSocket | undefined;
    const server = net.createServer({ acceptPollMs: 0, readableHighWaterMark: 4096 }, (s) => {
      s.on('error', () => {});
      serverSide = s;
    });
    await server.listen(7001, '127.0.0.1');
    const s = await net.connectAsync({ host: '127.0.0.1', port: 7001 });
    while (!serverSide) await sleep(5);
    const reader = serverSide;
    reader.pause();
    reader.once('data', () => {}); // a listener that never resumes after pause: nothing is read
    reader.pause();
    const data = pattern(64 * 1024, 2);
    let finished = false;
    s.write(data, () => (finished = true));
    await sleep(300);
    const fd = reader.fd as number;
    // Bounded: credit never exceeded the reader's high-water mark; the rest waits in the board's window.
    expect(board.maxCreditSeen).toBeLessThanOrEqual(4096);
    expect(board.pushed.get(fd) ?? 0).toBeLessThanOrEqual(4096);
    expect(reader.readableLength).toBeLessThanOrEqual(4096);
    expect(finished).toBe(false);
    expect(s.counters().sendRetries).toBeGreaterThan(0);
    // Resume: everything arrives, in order.
    const parts: Buffer[] = [];
    reader.removeAllListeners('data');
    reader.on('data', (c: Buffer) => parts.push(c));
    reader.resume();
    while (Buffer.concat(parts).length < data.length) await sleep(10);
    expect(sha(Buffer.concat(parts))).toBe(sha(data));
    expect(board.creditViolations).toBe(0);
    s.destroy();
    reader.destroy();
    await server.close();
  });

  it('retries a send the board refuses for lack of buffers (ENOBUFS, EAGAIN) and fails on a real error', async () => {
    const { net, board } = await setup();
    const server = await echoServer(net, 7008);
    const s = await net.connectAsync({ port: 7008 });
    board.sendErrors.push(105, 11, 105); // ENOBUFS, EAGAIN, ENOBUFS
    const data = pattern(3000, 9);
    const back = new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      s.on('data', (c: Buffer) => {
        parts.push(c);
        if (Buffer.concat(parts).length >= data.length) resolve(Buffer.concat(parts));
      });
    });
    s.write(data);
    expect(sha(await back)).toBe(sha(data));
    expect(s.counters().sendRetries).toBe(3);
    board.sendErrors.push(32); // EPIPE is not transient
    const err = once(s, 'error') as Promise<[Error]>;
    s.write('more');
    expect((await err)[0]).toMatchObject({ errnoName: 'EPIPE' });
    await server.close();
  });

  it('8 sockets busy at once each get their own data (per-socket credit)', async () => {
    const { net } = await setup({ maxSockets: 17, window: 4096 });
    const server = await echoServer(net, 7002);
    const sizes = Array.from({ length: 8 }, (_, i) => 8 * 1024 + i * 1000);
    const results = await Promise.all(
      sizes.map(async (n, i) => {
        const s = await net.connectAsync({ port: 7002 });
        const data = pattern(n, 100 + i);
        const reading = readAll(s);
        s.end(data);
        return { sent: sha(data), got: sha(await reading) };
      }),
    );
    for (const r of results) expect(r.got).toBe(r.sent);
    await server.close();
  });

  it('a refused connection errors the stream with the board errno and never emits connect', async () => {
    const { net } = await setup();
    const s = net.connect({ host: '127.0.0.1', port: 9 });
    let connected = false;
    s.on('connect', () => (connected = true));
    const [err] = (await once(s, 'error')) as [Error];
    expect(err).toMatchObject({ code: 'NB_BOARD_ERRNO', errnoName: 'ECONNREFUSED', errno: 111 });
    expect(connected).toBe(false);
    await expect(net.connectAsync({ port: 9 })).rejects.toMatchObject({ errnoName: 'ECONNREFUSED' });
  });

  it('a board reboot ends every stream and server with NB_ECONNRESET and does not close stale fds', async () => {
    const { net, board, client } = await setup({ maxSockets: 16 });
    const server = await echoServer(net, 7003);
    const streams = await Promise.all([0, 1, 2].map(() => net.connectAsync({ port: 7003 })));
    const errors = streams.map((s) => once(s, 'error') as Promise<[Error]>);
    const serverError = once(server, 'error') as Promise<[Error]>;
    for (const s of streams) s.write(pattern(1000, 3));
    await client.request(Op.REBOOT).catch(() => {});
    for (const e of errors) {
      const [err] = await e;
      expect(err).toBeInstanceOf(ConnectionResetError);
      expect(err).toMatchObject({ code: 'NB_ECONNRESET', errno: 104, errnoName: 'ECONNRESET', reason: 'board-rebooted' });
    }
    expect((await serverError)[0]).toMatchObject({ code: 'NB_ECONNRESET' });
    await sleep(50);
    expect(board.received.filter((m) => m.op === Op.CLOSE)).toHaveLength(0);
    expect(streams.every((s) => s.destroyed)).toBe(true);
    // The bridge works on the new boot.
    const again = await echoServer(net, 7003);
    const s = await net.connectAsync({ port: 7003 });
    const reading = readAll(s);
    s.end('after reboot');
    expect((await reading).toString()).toBe('after reboot');
    await again.close();
  });

  it('closing the client ends open streams with NB_ECONNRESET (client-closed), never a hang', async () => {
    const { net, client } = await setup();
    await echoServer(net, 7004);
    const s = await net.connectAsync({ port: 7004 });
    const err = once(s, 'error') as Promise<[Error]>;
    await client.close();
    expect((await err)[0]).toMatchObject({ code: 'NB_ECONNRESET', reason: 'client-closed' });
  });

  it('without half-close on the board (Zephyr: SHUT_WR is ENOTSUP) end() still finishes; the peer sees EOF at close', async () => {
    const { net, board } = await setup({ noHalfClose: true });
    let serverSide: BoardSocket | undefined;
    const server = net.createServer({ acceptPollMs: 0 }, (s) => {
      s.on('error', () => {});
      serverSide = s;
    });
    await server.listen(7007, '127.0.0.1');
    const s = await net.connectAsync({ port: 7007 });
    while (!serverSide) await sleep(5);
    const peer = serverSide;
    const got: Buffer[] = [];
    peer.on('data', (c: Buffer) => got.push(c));
    const peerEnded = once(peer, 'end');
    s.end('last words');
    await once(s, 'finish');
    expect(s.halfCloseUnsupported).toBe(true);
    expect(s.destroyed).toBe(false); // still reading
    s.destroy();
    await peerEnded;
    expect(Buffer.concat(got).toString()).toBe('last words');
    expect(board.received.filter((m) => m.op === Op.CLOSE).length).toBeGreaterThanOrEqual(1);
    await server.close();
  });

  it('an EOF pushed by the board ends the readable side; destroy closes the board socket', async () => {
    const { net, board } = await setup();
    let serverSide: BoardSocket | undefined;
    const server = net.createServer({ acceptPollMs: 0 }, (s) => {
      s.on('error', () => {});
      serverSide = s;
    });
    await server.listen(7005, '127.0.0.1');
    const s = await net.connectAsync({ port: 7005, allowHalfOpen: true });
    while (!serverSide) await sleep(5);
    // Not for-await: Node's iterator destroys a half-open duplex when its readable side ends.
    const parts: Buffer[] = [];
    s.on('data', (c: Buffer) => parts.push(c));
    const ended = once(s, 'end');
    serverSide.end('bye');
    await ended;
    expect(Buffer.concat(parts).toString()).toBe('bye');
    expect(s.writable).toBe(true); // allowHalfOpen: our side may still write
    const opened = board.openSockets;
    s.destroy();
    await once(s, 'close');
    expect(board.openSockets).toBe(opened - 1);
    await server.close();
  });
});

describe('UDP socket (dgram-like)', () => {
  it('exchanges datagrams with the source in rinfo, pushed without polling', async () => {
    const { net, board } = await setup();
    const a = net.createSocket('udp4');
    const b = net.createSocket('udp4');
    await a.bind(8000, '127.0.0.1');
    await b.bind(8001, '127.0.0.1');
    expect(a.address()).toMatchObject({ port: 8000, family: 'IPv4' });
    const got = once(a, 'message') as Promise<[Buffer, { address: string; port: number; size: number }]>;
    await b.send('ping', 8000, '127.0.0.1');
    const [msg, rinfo] = await got;
    expect(msg.toString()).toBe('ping');
    expect(rinfo).toMatchObject({ address: '127.0.0.1', port: 8001, size: 4, family: 'IPv4' });
    expect(board.received.some((m) => m.op === Op.RECV)).toBe(false);
    await expect(b.send(Buffer.alloc(100_000), 8000)).rejects.toMatchObject({ errnoName: 'EMSGSIZE' });
    await a.close();
    await b.close();
  });

  it('keeps delivering past the initial credit (re-granted as messages are consumed)', async () => {
    const { net } = await setup();
    const a = net.createSocket({ type: 'udp4', recvBufferSize: 1024 });
    const b = net.createSocket('udp4');
    await a.bind(8002, '127.0.0.1');
    let count = 0;
    a.on('message', () => count++);
    for (let i = 0; i < 40; i++) await b.send(pattern(200, i), 8002);
    const deadline = Date.now() + 3000;
    while (count < 40 && Date.now() < deadline) await sleep(10);
    expect(count).toBe(40);
    expect(a.creditOverrun).toBe(0);
    await a.close();
    await b.close();
  });
});

describe('board.net facade', () => {
  it('exposes the mirror and counts pushed data', async () => {
    const { net } = await setup();
    expect(await net.sockets.socket(C.AF_INET, C.SOCK_DGRAM)).toBeTypeOf('number');
    const server = await echoServer(net, 7006);
    const s = await net.connectAsync({ port: 7006 });
    const reading = readAll(s);
    s.end('x'.repeat(100));
    await reading;
    expect(net.counters().dataBytes).toBeGreaterThanOrEqual(200);
    await server.close();
  });
});

describe('pipelined stream writes (SOCK_WRITE)', () => {
  it('keeps several writes in flight, each aimed at the next offset, and delivers every byte in order', async () => {
    const { net, board } = await setup({ window: 1 << 20, writeAnswerDelayMs: 5, linkWindow: 8 });
    const server = await echoServer(net, 7101);
    const s = await net.connectAsync({ port: 7101 });
    const data = pattern(40_000, 21);
    const back = readExactlyFrom(s, data.length);
    s.write(data);
    expect(sha(await back)).toBe(sha(data));
    const mine = board.writesSeen.filter((w) => w.fd === s.fd);
    expect(mine.length).toBeGreaterThan(4);
    expect(mine.every((w) => w.taken === w.len)).toBe(true); // no buffer pressure: all taken at once
    // Each aimed where the previous ended: a gapless run of offsets.
    for (let i = 1; i < mine.length; i++) expect(mine[i]?.offset).toBe((mine[i - 1]?.offset ?? 0) + (mine[i - 1]?.len ?? 0));
    // Pipelined: later requests reached the board while earlier answers were still on their way,
    // and never more than the board's request slots allow (its window less two, for the rest).
    expect(board.maxWritesPending).toBeGreaterThanOrEqual(3);
    expect(board.maxWritesPending).toBeLessThanOrEqual(8 - 2);
    s.destroy();
    await server.close();
  });

  it('after a short write the requests still in flight take nothing and the stream resumes at the offset', async () => {
    const { net, board } = await setup({ sendMax: 300, window: 1 << 20 });
    const server = await echoServer(net, 7102);
    const s = await net.connectAsync({ port: 7102 });
    const data = pattern(20_000, 22);
    const back = readExactlyFrom(s, data.length);
    s.write(data);
    expect(sha(await back)).toBe(sha(data));
    const mine = board.writesSeen.filter((w) => w.fd === s.fd);
    expect(mine.some((w) => w.taken > 0 && w.taken < w.len)).toBe(true); // short writes happened
    expect(mine.some((w) => w.taken === 0)).toBe(true); // and pipelined ones behind them took nothing
    expect(mine.reduce((n, w) => n + w.taken, 0)).toBe(data.length); // nothing taken twice
    expect(s.counters().shortWrites).toBeGreaterThan(0);
    s.destroy();
    await server.close();
  });

  it('a slow reader fills the board: writes back off and resume without losing or repeating a byte', async () => {
    const { net } = await setup({ window: 2048 });
    let serverSide: BoardSocket | undefined;
    const server = net.createServer({ acceptPollMs: 0 }, (c) => {
      c.on('error', () => {});
      serverSide = c;
      c.pause();
    });
    await server.listen(7103, '127.0.0.1');
    const s = await net.connectAsync({ port: 7103 });
    const data = pattern(12_000, 23);
    s.write(data);
    await sleep(150);
    expect(s.counters().sendRetries).toBeGreaterThan(0); // the board's buffer was full
    const peer = serverSide as BoardSocket;
    const got = readExactlyFrom(peer, data.length);
    peer.resume();
    expect(sha(await got)).toBe(sha(data));
    s.destroy();
    await server.close();
  });

  it('falls back to one SEND at a time on firmware without SOCK_WRITE', async () => {
    const { net, board } = await setup({ noWriteOp: true });
    const server = await echoServer(net, 7104);
    const s = await net.connectAsync({ port: 7104 });
    const data = pattern(5000, 24);
    const back = readExactlyFrom(s, data.length);
    s.write(data);
    expect(sha(await back)).toBe(sha(data));
    // One pipelined attempt (a few requests, all refused), then SENDs only, for every socket.
    const ops = board.received.map((m) => m.op).filter((op) => op === Op.SOCK_WRITE || op === Op.SEND);
    const firstSend = ops.indexOf(Op.SEND);
    expect(firstSend).toBeGreaterThan(0);
    expect(ops.slice(firstSend)).not.toContain(Op.SOCK_WRITE);
    expect(firstSend).toBeLessThanOrEqual(4);
    s.destroy();
    await server.close();
  });
});

function readExactlyFrom(s: BoardSocket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const onData = (c: Buffer) => {
      parts.push(c);
      got += c.length;
      if (got >= n) {
        s.off('data', onData);
        resolve(Buffer.concat(parts));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}
