import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kind, MessageTooLargeError, Op, encodeMessage, type Client } from '../../src/index.js';
import { hil, openClient, pattern, type Hil } from '../lib/suite.js';

/** Largest PING payload whose request (and echoed response) fits `mtu` whatever the request id. */
function largestPingPayload(mtu: number): number {
  const size = (n: number) =>
    encodeMessage({ kind: Kind.REQ, op: Op.PING, id: 0xffffffff, body: new Map([[1, new Uint8Array(n)]]) }).length;
  let n = mtu;
  while (n > 0 && size(n) > mtu) n--;
  return n;
}

describe('request/response', () => {
  let h: Hil;
  let client: Client;
  let max: number;
  beforeAll(async () => {
    h = await hil();
    client = await openClient(h);
    // The host accepts its default 1024; the board announced its own MTU.
    max = largestPingPayload(Math.min(client.info.mtu, 1024));
  });
  afterAll(async () => {
    await client?.close();
    h?.control?.close();
  });

  it('echoes an absent payload as empty', async () => {
    const { data } = await client.ping();
    expect(data.length).toBe(0);
  });

  it('echoes payloads from 0 bytes to the largest the MTU allows, byte for byte', async () => {
    // CBOR length boundaries (23/24, 255/256) and COBS block boundaries (253/254/255).
    const sizes = [0, 1, 2, 23, 24, 100, 253, 254, 255, 256, 508, 509, max - 1, max].filter((n) => n >= 0 && n <= max);
    for (const [i, n] of sizes.entries()) {
      const payload = pattern(n, i + 1);
      const { data } = await client.ping(payload);
      expect(data.length, `payload of ${n} bytes`).toBe(n);
      expect(Buffer.from(data).equals(Buffer.from(payload)), `payload of ${n} bytes`).toBe(true);
    }
  });

  it('echoes payloads made only of 0x00 and only of 0xff', async () => {
    for (const fill of [0x00, 0xff]) {
      const payload = new Uint8Array(max).fill(fill);
      const { data } = await client.ping(payload);
      expect(Buffer.from(data).equals(Buffer.from(payload))).toBe(true);
    }
  });

  it('refuses a payload beyond the MTU with a typed error and keeps the session', async () => {
    const err = await client.ping(new Uint8Array(Math.min(client.info.mtu, 1024) + 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessageTooLargeError);
    expect((err as MessageTooLargeError).code).toBeTypeOf('string');
    const { data } = await client.ping(pattern(16, 99));
    expect(Buffer.from(data).equals(Buffer.from(pattern(16, 99)))).toBe(true);
  });
});

describe('pipelining', () => {
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

  it('answers 300 PINGs in flight at once, each with its own payload', async () => {
    const before = await client.stats();
    const count = 300;
    const payloads = Array.from({ length: count }, (_, i) => pattern(8 + (i % 64), 1000 + i));
    const results = await Promise.all(payloads.map((p) => client.ping(p, { timeout: 60_000 })));
    for (const [i, r] of results.entries()) {
      expect(Buffer.from(r.data).equals(Buffer.from(payloads[i] as Uint8Array)), `ping ${i}`).toBe(true);
    }
    // They were really in flight together, and the board counted every one.
    expect(client.counters().pendingHighWater).toBeGreaterThanOrEqual(count);
    const after = await client.stats();
    expect((after.framesIn ?? 0) - (before.framesIn ?? 0)).toBeGreaterThanOrEqual(count);
    expect((after.framesOut ?? 0) - (before.framesOut ?? 0)).toBeGreaterThanOrEqual(count);
  });
});
