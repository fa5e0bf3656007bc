import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameType, cobsEncode, encodeFrame, type Client } from '../../src/index.js';
import { hil, openClient, pattern, type Hil } from '../lib/suite.js';

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A run between delimiters: 0x00 | bytes | 0x00. */
const delimited = (bytes: Uint8Array) => Uint8Array.from([0, ...bytes, 0]);

/** Header + valid CRC, COBS-encoded: a well-formed frame apart from its version/type nibble. */
function frameWithHeader(vt: number): Uint8Array {
  const raw = new Uint8Array(8);
  raw.set([vt, 0, 0, 4]);
  new DataView(raw.buffer).setUint32(4, crc32(raw.subarray(0, 4)), true);
  return cobsEncode(raw);
}

describe('garbage on the line', () => {
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

  it('counts noise, console text, bad CRCs and malformed frames, and keeps the session', async () => {
    const before = await client.stats();
    const hostBefore = client.counters();

    const noise = pattern(200, 7).map((b) => b || 1); // no 0x00: one run
    const text = new TextEncoder().encode(
      '\r\n*** Booting Zephyr OS build v4.1.99 ***\r\nuart:~$ net iface\r\n[00:00:01.234,000] <inf> net_config: Initializing network\r\n',
    );
    const good = encodeFrame({ type: FrameType.ACK, seq: 0, ack: 0, win: 4, payload: new Uint8Array(0) });
    const badCrc = good.slice();
    badCrc[badCrc.length - 1] = (badCrc[badCrc.length - 1] as number) ^ 0xff;
    const badCrcRun = cobsEncode(badCrc);
    const unknownType = frameWithHeader(0x17); // link version 1, type 7
    const unknownVersion = frameWithHeader(0x22); // link version 2

    client.injectRaw(delimited(noise));
    client.injectRaw(delimited(text));
    client.injectRaw(delimited(badCrcRun));
    client.injectRaw(delimited(unknownType));
    client.injectRaw(delimited(unknownVersion));

    const probe = pattern(32, 3);
    const { data } = await client.ping(probe);
    expect(Buffer.from(data).equals(Buffer.from(probe))).toBe(true);

    const after = await client.stats();
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    const garbage = noise.length + text.length + badCrcRun.length;
    if (client.info.features.includes('shared-console')) {
      // the board's own log text lands in the count too
      expect(delta('garbageBytes')).toBeGreaterThanOrEqual(garbage);
    } else {
      expect(delta('garbageBytes')).toBe(garbage);
    }
    expect(delta('crcErrors')).toBe(1);
    expect(delta('malformed')).toBe(2);

    // The host saw no error and did not have to re-handshake.
    const hostAfter = client.counters();
    expect(hostAfter.reconnects).toBe(hostBefore.reconnects);
    expect(hostAfter.linkDowns).toBe(hostBefore.linkDowns);
    expect(hostAfter.timeouts).toBe(hostBefore.timeouts);
    expect(hostAfter.framesOut).toBeGreaterThan(hostBefore.framesOut);
  });

  it('survives garbage injected while 100 requests are in flight', async () => {
    const before = await client.stats();
    const payloads = Array.from({ length: 100 }, (_, i) => pattern(40, 500 + i));
    const pings = payloads.map((p) => client.ping(p, { timeout: 30_000 }));
    const junk = pattern(64, 11).map((b) => b || 1);
    for (let i = 0; i < 10; i++) {
      client.injectRaw(delimited(junk));
      await new Promise((r) => setTimeout(r, 5));
    }
    const results = await Promise.all(pings);
    for (const [i, r] of results.entries()) {
      expect(Buffer.from(r.data).equals(Buffer.from(payloads[i] as Uint8Array)), `ping ${i}`).toBe(true);
    }
    const after = await client.stats();
    expect((after.garbageBytes ?? 0) - (before.garbageBytes ?? 0)).toBeGreaterThanOrEqual(10 * junk.length);
  });

  it("counts the board's own log text on the line as garbage when the console is shared", async (ctx) => {
    if (!client.info.features.includes('shared-console')) return ctx.skip('the board has a console UART of its own');
    // A new session makes the board log its link reset ("<inf> netbridge: link reset") on this line.
    await client.close();
    client = await openClient(h);
    const deadline = Date.now() + 5000;
    while (client.counters().garbageBytes === 0 && Date.now() < deadline) {
      await client.ping();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(client.counters().garbageBytes).toBeGreaterThan(0);
    expect(client.counters().reconnects).toBe(0);
  });
});
