/**
 * The board's bounds, enforced with a typed error or a counted drop: its socket table, its event
 * subscriptions, a frame larger than its MTU, a request larger than its MTU, and a host that
 * announces an absurd MTU in HELLO.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BoardError,
  type Client,
  FrameType,
  MessageTooLargeError,
  Op,
  SCHEMA_HASH,
  encodeWire,
  helloRequestBody,
  sockets,
} from '../../src/index.js';
import { hil, openClient, pattern, type Hil } from '../lib/suite.js';

describe('bounds on the board', () => {
  let h: Hil;
  let client: Client;
  beforeAll(async () => {
    h = await hil();
    client = await openClient(h);
  });
  afterAll(async () => {
    await client?.close();
    h?.control?.close();
  });

  it('the socket table: opening past the limit fails with EMFILE, and closing frees every slot', async (ctx) => {
    if (!client.info.features.includes('sockets')) return ctx.skip();
    const zs = new sockets.Sockets(client);
    const max = client.info.limits.maxSockets;
    // Sockets stay the board's across sessions: count what earlier sessions left open.
    const base = (await client.stats()).socketsOpen ?? 0;
    const open: number[] = [];
    let refused: unknown;
    try {
      for (let i = 0; i < max + 2 && refused === undefined; i++) {
        try {
          open.push(await zs.socket(sockets.AF_INET, sockets.SOCK_DGRAM, 0));
        } catch (err) {
          refused = err;
        }
      }
      expect(refused, `opened ${open.length} of ${max} without a refusal`).toBeInstanceOf(BoardError);
      // The bridge's own table (EMFILE at its limit), unless the network stack ran out of contexts
      // first (Zephyr's ENOENT/ENOMEM: small boards such as qemu_cortex_m3 size both alike);
      // either way a typed board error, never a hang or a crash.
      const why = (refused as BoardError).errnoName;
      if (why === 'EMFILE') expect(base + open.length).toBe(max);
      else expect(['ENOENT', 'ENOMEM'], `refused with ${why} after ${open.length} of ${max}`).toContain(why);
      expect(base + open.length).toBeLessThanOrEqual(max);
      expect((await client.stats()).socketsOpen).toBe(base + open.length);
    } finally {
      for (const fd of open) await zs.close(fd);
    }
    expect((await client.stats()).socketsOpen).toBe(base);
    // The slots are usable again.
    const fd = await zs.socket(sockets.AF_INET, sockets.SOCK_DGRAM, 0);
    await zs.close(fd);
  });

  it('event subscriptions: more masks than the limit are refused with ENOSPC, the limit itself is taken', async (ctx) => {
    if (!client.info.features.includes('events')) return ctx.skip();
    const max = client.info.limits.maxSubscriptions;
    const masks = (n: number) => Array.from({ length: n }, (_, i) => (1n << 32n) | BigInt(1 << (i % 16)) | BigInt(i));
    const err = await client.request(Op.EVT_SUBSCRIBE, new Map([[1, masks(max + 1)]])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardError);
    expect((err as BoardError).errnoName).toBe('ENOSPC');
    await client.request(Op.EVT_SUBSCRIBE, new Map([[1, masks(max)]]));
    await client.request(Op.EVT_SUBSCRIBE, new Map([[1, []]]));
  });

  it('a frame longer than the MTU is discarded as it arrives and counted, the session goes on', async () => {
    const before = await client.stats();
    const mtu = client.info.mtu;
    // A well-formed DATA frame (valid CRC) whose payload is 200 bytes over the board's MTU.
    const wire = encodeWire({ type: FrameType.DATA, seq: 200, ack: 0, win: 4, payload: pattern(mtu + 200, 1).map((b) => b || 1) });
    client.injectRaw(wire);
    const probe = pattern(64, 2);
    const { data } = await client.ping(probe);
    expect(Buffer.from(data).equals(Buffer.from(probe))).toBe(true);
    const after = await client.stats();
    expect((after.garbageBytes ?? 0) - (before.garbageBytes ?? 0)).toBeGreaterThanOrEqual(mtu);
  });

  it('a request larger than the board MTU fails on the host with MessageTooLargeError, nothing sent', async () => {
    const before = client.counters().framesOut;
    const err = await client.ping(new Uint8Array(client.info.mtu + 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessageTooLargeError);
    expect((err as MessageTooLargeError).code).toBe('NB_EMSGSIZE');
    expect(client.counters().framesOut).toBe(before);
  });

  it('a HELLO announcing an absurd MTU is refused with EINVAL on key 4', async () => {
    const body = helloRequestBody({ minVersion: 1, maxVersion: 1, schemaHash: SCHEMA_HASH, mtu: 10, window: 4 });
    const err = await client.request(Op.HELLO, body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardError);
    expect((err as BoardError).errnoName).toBe('EINVAL');
    expect((err as BoardError).field).toBe(4);
    await client.ping();
  });
});
