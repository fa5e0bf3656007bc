import { afterEach, describe, expect, it } from 'vitest';
import { Kind, Op } from '../src/codec/messages.js';
import { SCHEMA_HASH_HEX } from '../src/codec/schema.js';
import type { HelloInfo, Overrun } from '../src/codec/session-bodies.js';
import { overrunBody } from '../src/codec/session-bodies.js';
import {
  AbortError,
  BoardError,
  BoardRebootedError,
  ClosedError,
  LinkResetError,
  MessageTooLargeError,
  PortError,
  SchemaMismatchError,
  TimeoutError,
  VersionMismatchError,
} from '../src/errors.js';
import { Client, type ClientOptions } from '../src/session/client.js';
import { createMemoryPair } from '../src/transport/memory.js';
import { FakeBoard, type FakeBoardOptions } from './helpers/fake-board.js';
import { type Impairments, createLossyLine } from './helpers/lossy.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(board: FakeBoardOptions = {}, client: ClientOptions = {}) {
  const [h, b] = createMemoryPair();
  const fake = new FakeBoard(b, board);
  cleanups.push(() => fake.close());
  const c = await Client.open({ transport: h, timeout: 1000, heartbeatMs: 0, ...client });
  cleanups.push(() => c.close());
  return { client: c, board: fake, hostEnd: h };
}

const once = <T>(emitter: Client, event: string) => new Promise<T>((r) => emitter.once(event, r));

describe('handshake', () => {
  it('resets the link, says HELLO and exposes the board facts', async () => {
    const { client, board } = await setup();
    const info = client.info;
    expect(info).toMatchObject({
      version: 1,
      schemaHash: SCHEMA_HASH_HEX,
      board: 'fake/board',
      zephyrVersion: '4.1.99',
      firmwareVersion: '0.1.0-test',
      bootId: board.bootId,
      features: ['events', 'sockets'],
      limits: { maxSockets: 8, maxSubscriptions: 4, eventQueue: 16, txQueue: 8, rxBuffer: 2048, maxData: 512 },
    });
    expect(board.helloCount).toBe(1);
    expect(board.lastHelloMtu).toBe(1024);
    const hello = board.received[0];
    expect(hello).toMatchObject({ kind: Kind.REQ, op: Op.HELLO, id: 0 });
    expect(client.counters().resyncs).toBe(1);
  });

  it('refuses a board built from another schema (SchemaMismatchError)', async () => {
    const [h, b] = createMemoryPair();
    const fake = new FakeBoard(b, { schemaHash: '0000000000000000' });
    cleanups.push(() => fake.close());
    const err = await Client.open({ transport: h, timeout: 1000, heartbeatMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect(err).toMatchObject({ code: 'NB_SCHEMA_MISMATCH', boardHash: '0000000000000000', hostHash: SCHEMA_HASH_HEX });
  });

  it('fails at once with the board errno when HELLO is answered with ERR (no retry flood)', async () => {
    const [h, b] = createMemoryPair();
    const fake = new FakeBoard(b, { helloError: { errno: 134, name: 'ENOTSUP', message: 'unknown op' } });
    cleanups.push(() => fake.close());
    const started = performance.now();
    const err = await Client.open({ transport: h, timeout: 3000, heartbeatMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardError);
    expect(err).toMatchObject({ code: 'NB_BOARD_ERRNO', errnoName: 'ENOTSUP', extack: 'unknown op' });
    expect(fake.helloCount).toBe(1);
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('refuses a board that chose an unsupported version (VersionMismatchError)', async () => {
    const [h, b] = createMemoryPair();
    const fake = new FakeBoard(b, { version: 2 });
    cleanups.push(() => fake.close());
    const err = await Client.open({ transport: h, timeout: 1000, heartbeatMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionMismatchError);
    expect((err as VersionMismatchError).code).toBe('NB_VERSION_MISMATCH');
  });

  it('times out typed when nothing answers', async () => {
    const [h] = createMemoryPair();
    const started = performance.now();
    const err = await Client.open({ transport: h, timeout: 300, heartbeatMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).code).toBe('NB_ETIMEDOUT');
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('needs a path or a transport', async () => {
    await expect(Client.open({})).rejects.toBeInstanceOf(PortError);
  });

  it('reports a port that cannot be opened as PortError', async () => {
    await expect(Client.open({ path: '/dev/netbridge-does-not-exist' })).rejects.toMatchObject({ code: 'NB_PORT' });
  });
});

describe('requests', () => {
  it('pings with payloads up to the MTU and gets them back', async () => {
    const { client } = await setup();
    for (const size of [0, 1, 100, 1000, 1013]) {
      const data = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
      const r = await client.ping(data);
      expect(r.data).toEqual(data);
      expect(r.rttMs).toBeGreaterThanOrEqual(0);
    }
    await expect(client.ping(new Uint8Array(1020))).rejects.toBeInstanceOf(MessageTooLargeError);
  });

  it('pipelines 300 requests and correlates every answer by id', async () => {
    const { client } = await setup();
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => client.ping(Uint8Array.of(i & 0xff, i >> 8))));
    results.forEach((r, i) => expect([...r.data]).toEqual([i & 0xff, i >> 8]));
    expect(client.counters().pendingHighWater).toBe(300);
  });

  it('matches answers that arrive out of order', async () => {
    const { client } = await setup({ delayMs: new Map([[Op.SINK, 50]]) });
    const slow = client.sink(new Uint8Array(10));
    const fast = client.ping(Uint8Array.of(1));
    expect((await fast).data).toEqual(Uint8Array.of(1));
    expect(await slow).toBe(10);
  });

  it('turns ERR into a BoardError with errno, name, extack and field', async () => {
    const { client } = await setup();
    const err = await client.request(Op.IFACE_UP, new Map([[1, 9]])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardError);
    expect(err).toMatchObject({ code: 'NB_BOARD_ERRNO', errno: 19, errnoName: 'ENODEV', extack: 'ifindex 9: no such interface', field: 1, op: Op.IFACE_UP });
    await expect(client.request(Op.TLS_CRED_GET)).rejects.toMatchObject({ errno: 95, errnoName: 'EOPNOTSUPP' });
  });

  it('collects a dump and its interrupted flag', async () => {
    const { client } = await setup({ interfaces: 3, dumpInterrupted: true });
    const dump = await client.dump(Op.IFACE_DUMP);
    expect(dump.interrupted).toBe(true);
    expect(dump.items.map((m) => m.get(2))).toEqual(['eth0', 'eth1', 'eth2']);
  });

  it('bounds the items kept per dump and counts the rest', async () => {
    const { client } = await setup({ interfaces: 5 }, { maxDumpItems: 2 });
    const dump = await client.dump(Op.IFACE_DUMP);
    expect(dump.items).toHaveLength(2);
    expect(client.counters().dumpItemsDropped).toBe(3);
  });

  it('times out typed, counts it, and counts the late answer', async () => {
    const { client } = await setup({ delayMs: new Map([[Op.SINK, 150]]) });
    const err = await client.sink(new Uint8Array(1), { timeout: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(client.counters().timeouts).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(client.counters().lateResponses).toBe(1);
    expect((await client.ping()).data).toHaveLength(0); // the session is fine
  });

  it('aborts with NB_ABORTED, before sending or while waiting', async () => {
    const { client, board } = await setup({ silentOps: new Set([Op.GETHOSTNAME]) });
    const before = board.received.length;
    await expect(client.request(Op.PING, new Map(), { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'NB_ABORTED' });
    await new Promise((r) => setTimeout(r, 10));
    expect(board.received.length).toBe(before); // never sent
    const ac = new AbortController();
    const waiting = client.request(Op.GETHOSTNAME, new Map(), { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    expect(client.counters().aborts).toBe(2);
  });

  it('reads board STATS by name', async () => {
    const { client } = await setup();
    await client.ping();
    const stats = await client.stats();
    expect(stats.framesIn).toBeGreaterThanOrEqual(3); // RST, HELLO, PING, STATS
    expect(stats.crcErrors).toBe(0);
  });

  it('fails everything pending with ClosedError on close, and refuses new requests', async () => {
    const { client } = await setup({ silentOps: new Set([Op.GETHOSTNAME]) });
    const pending = client.request(Op.GETHOSTNAME);
    const closed = once(client, 'close');
    await client.close();
    await closed;
    await expect(pending).rejects.toBeInstanceOf(ClosedError);
    await expect(client.ping()).rejects.toMatchObject({ code: 'NB_CLOSED' });
  });
});

describe('notifications', () => {
  it('emits every NTF, OVERRUN with counts, and counts sequence gaps', async () => {
    const { client, board } = await setup();
    const seen: number[] = [];
    client.on('notification', (m: { op: number }) => seen.push(m.op));
    const overrun = once<Overrun>(client, 'overrun');
    await board.notify(Op.EVENT, new Map<number, number | bigint>([[1, 0xe030000000000001n], [2, 1], [3, 10]]));
    await board.notify(Op.OVERRUN, overrunBody({ whatCode: 1, count: 4, total: 4 }));
    expect(await overrun).toEqual({ what: 'events', whatCode: 1, count: 4, total: 4 });
    await board.send({ kind: Kind.NTF, op: Op.SOCK_EVENT, id: 10, body: new Map([[1, 3], [2, 1]]) }); // skips 2..9
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([Op.EVENT, Op.OVERRUN, Op.SOCK_EVENT]);
    expect(client.counters()).toMatchObject({ notifications: 3, overruns: 4, notificationGaps: 1 });
  });

  it('counts a DATA payload that is not a message as malformed and keeps going', async () => {
    const { client, board } = await setup();
    await board.link.send(Uint8Array.of(0x84, 0x05, 0x11, 0x18, 0x01, 0xa0)); // non-shortest id
    await new Promise((r) => setTimeout(r, 10));
    expect(client.counters().malformed).toBe(1);
    expect((await client.ping(Uint8Array.of(5))).data).toEqual(Uint8Array.of(5));
  });
});

describe('line noise', () => {
  it('survives injected garbage and console text; both sides count it', async () => {
    const { client } = await setup();
    for (let i = 0; i < 20; i++) {
      client.injectRaw(Buffer.from(`[00:00:${String(i).padStart(2, '0')}.000,000] <inf> net_config: Initializing network\r\nuart:~$ `));
      client.injectRaw(Uint8Array.of(0, 0x55, 0xaa, 0x13, 0x37, 0));
      expect((await client.ping(Uint8Array.of(i))).data).toEqual(Uint8Array.of(i));
    }
    const stats = await client.stats();
    expect(stats.garbageBytes).toBeGreaterThan(20 * 60);
  });

  it('completes every request over a line that drops, corrupts and duplicates 10 %', async () => {
    const imp: Impairments = { drop: 0.1, corrupt: 0.1, duplicate: 0.1, seed: 7 };
    const line = createLossyLine(imp);
    cleanups.push(() => line.close());
    const fake = new FakeBoard(line.b, { link: { rtoMinMs: 20, maxRetries: 12 } });
    cleanups.push(() => fake.close());
    const client = await Client.open({ transport: line.a, timeout: 5000, heartbeatMs: 0, link: { rtoMinMs: 20, maxRetries: 12 } });
    cleanups.push(() => client.close());
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => client.ping(Uint8Array.of(i))));
    results.forEach((r, i) => expect(r.data).toEqual(Uint8Array.of(i)));
    const c = client.counters();
    expect(c.retransmits + c.duplicates + c.crcErrors).toBeGreaterThan(0);
  });
});

describe('reboot and reconnect', () => {
  it('detects a board reboot by boot id: pending requests fail with BoardRebootedError, then the session works', async () => {
    const { client, board } = await setup({ silentOps: new Set([Op.GETHOSTNAME]) });
    const firstBoot = board.bootId;
    const pending = client.request(Op.GETHOSTNAME, new Map(), { timeout: 5000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20)); // let the request be acked
    const rebootEvent = once<{ previousBootId: string; info: HelloInfo }>(client, 'reboot');
    await board.reboot();
    const ev = await rebootEvent;
    expect(ev.previousBootId).toBe(firstBoot);
    expect(ev.info.bootId).toBe(board.bootId);
    expect(client.info.bootId).toBe(board.bootId);
    const err = await pending;
    expect(err).toBeInstanceOf(BoardRebootedError);
    expect(err).toMatchObject({ code: 'NB_BOARD_REBOOTED', previousBootId: firstBoot, bootId: board.bootId });
    expect((await client.ping(Uint8Array.of(9))).data).toEqual(Uint8Array.of(9));
    expect(client.counters()).toMatchObject({ reboots: 1, reconnects: 1, peerResets: 1 });
  });

  it('reboot() asks the board to reboot and resolves with the new boot', async () => {
    const { client, board } = await setup();
    const old = client.info.bootId;
    const info = await client.reboot();
    expect(info?.bootId).not.toBe(old);
    expect(info?.bootId).toBe(board.bootId);
    expect((await client.ping()).data).toHaveLength(0);
  });

  it('a link reset with the same boot id keeps acked requests and fails unacked ones with LinkResetError', async () => {
    const { client, board } = await setup({ silentOps: new Set([Op.GETHOSTNAME]), delayMs: new Map([[Op.SINK, 100]]) });
    const acked = client.sink(new Uint8Array(3), { timeout: 3000 });
    await new Promise((r) => setTimeout(r, 20));
    // Board resets the link without rebooting; a request sent right now is still unacked.
    const reconnect = once<{ rebooted: boolean }>(client, 'reconnect');
    const unacked = client.request(Op.GETHOSTNAME, new Map(), { timeout: 3000 }).catch((e: unknown) => e);
    await board.link.reset({ timeoutMs: 1000 });
    expect((await reconnect).rebooted).toBe(false);
    expect(await unacked).toBeInstanceOf(LinkResetError);
    expect(await acked).toBe(3); // answered on the new link
    expect(client.counters().reboots).toBe(0);
  });

  it('heartbeat: a dead line is declared down, then the client reconnects when the board is back', async () => {
    const line = createLossyLine({});
    cleanups.push(() => line.close());
    const fake = new FakeBoard(line.b);
    cleanups.push(() => fake.close());
    const client = await Client.open({
      transport: line.a,
      timeout: 300,
      heartbeatMs: 50,
      link: { rtoMinMs: 10, rtoMaxMs: 40, rtoInitialMs: 10, maxRetries: 3 },
    });
    cleanups.push(() => client.close());
    const linkdown = once<Error>(client, 'linkdown');
    line.set({ drop: 1 });
    expect(await linkdown).toMatchObject({ code: 'NB_LINK_DOWN' });
    expect(client.counters().heartbeats).toBeGreaterThanOrEqual(1);
    const reconnected = once<{ rebooted: boolean }>(client, 'reconnect');
    line.set({ drop: 0 });
    expect((await reconnected).rebooted).toBe(false);
    expect((await client.ping(Uint8Array.of(1))).data).toEqual(Uint8Array.of(1));
    expect(client.counters().linkDowns).toBe(1);
  });

  it('requests issued while reconnecting wait for the session and then go out', async () => {
    const { client, board } = await setup();
    const rebooted = once(client, 'reboot');
    const rebooting = board.reboot();
    await new Promise((r) => setImmediate(r));
    const during = client.ping(Uint8Array.of(3), { timeout: 3000 });
    await rebooting;
    await rebooted;
    expect((await during).data).toEqual(Uint8Array.of(3));
  });

  it('closes with PortError when the transport goes away', async () => {
    const { client, hostEnd } = await setup({ silentOps: new Set([Op.GETHOSTNAME]) });
    const pending = client.request(Op.GETHOSTNAME).catch((e: unknown) => e);
    const closed = once<Error>(client, 'close');
    hostEnd.destroy();
    expect(await closed).toBeInstanceOf(PortError);
    expect(await pending).toBeInstanceOf(PortError);
  });
});
