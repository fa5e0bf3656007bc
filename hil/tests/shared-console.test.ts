/**
 * The shared-console build (overlay-shared-console.conf): the bridge is the console UART, so the
 * board's log lines and boot banner travel on the same line as the frames. A transparent tap
 * (hil/lib/line-tap.ts) sorts what the board sends into frames and text, and shows that the text
 * is really there, between frames, while every request is answered exactly (nothing lost: torn
 * frames are retransmitted, text is counted by the host as garbage and never delivered).
 * Skipped on a board whose HELLO does not announce the shared-console feature.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoardRebootedError, Client, LinkResetError, openSerialPort } from '../../src/index.js';
import { LineTap } from '../lib/line-tap.js';
import { hil, pattern, type Hil } from '../lib/suite.js';

/** Zephyr's log line for a link reset (nb_core.c), coloured or not, possibly split by a frame. */
const LINK_RESET_LOG = /<inf> netbridge: link reset/;

async function openTapped(h: Hil): Promise<{ tap: LineTap; client: Client }> {
  const tap = new LineTap(await openSerialPort(h.bridgePath, { baudRate: h.baudRate }));
  const client = await Client.open({ transport: tap, timeout: 15_000 });
  return { tap, client };
}

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('shared console: frames between log lines', () => {
  let h: Hil;
  let tap: LineTap | undefined;
  let client: Client | undefined;
  let shared = false;
  beforeAll(async () => {
    h = await hil();
    ({ tap, client } = await openTapped(h));
    shared = client.info.features.includes('shared-console');
  });
  afterAll(async () => {
    await client?.close();
    await tap?.close();
    h?.control?.close();
  });

  it('logs on the bridge line between frames while 200 pipelined PINGs come back exact', async (ctx) => {
    if (!shared || !tap || !client) return ctx.skip('the board does not share its console with the bridge');
    // Opening the session made the board log the link reset on this very line.
    await until('the link reset log line on the bridge line', () => LINK_RESET_LOG.test(tap!.splitter.text()), 5000);

    const hostBefore = client.counters();
    const textBefore = tap.splitter.stats().textBytes;
    const mark = tap.splitter.mark();
    const payloads = Array.from({ length: 200 }, (_, i) => pattern(16 + (i % 200), 7000 + i));
    const pings = payloads.map((p) => client!.ping(p, { timeout: 60_000 }));
    // While they are in flight, make the board log: a carrier change on QEMU (the app's carrier
    // watcher logs it), else a second session's link reset is logged after this one closes.
    if (h.describe.canSetLink && h.control) {
      await h.control.setLink(false);
      await until('the carrier-down log line', () => /Ethernet link down/.test(tap!.splitter.textSince(mark)), 10_000);
      await h.control.setLink(true);
      await until('the carrier-up log line', () => /Ethernet link up/.test(tap!.splitter.textSince(mark)), 10_000);
    }
    const results = await Promise.all(pings);
    for (const [i, r] of results.entries()) {
      expect(Buffer.from(r.data).equals(Buffer.from(payloads[i] as Uint8Array)), `ping ${i}`).toBe(true);
    }

    const line = tap.splitter.stats();
    const host = client.counters();
    console.log(`[${h.target}] line: ${JSON.stringify(line)}; host garbage ${host.garbageBytes}, crc ${host.crcErrors}, retransmits ${host.retransmits}`);
    console.log(`[${h.target}] text on the bridge line:\n${tap.splitter.text().slice(-1500)}`);
    // Text runs sat between frames on the line, and the host counted that text, never delivered it.
    expect(line.interleavedTextRuns).toBeGreaterThan(0);
    expect(host.garbageBytes).toBeGreaterThanOrEqual(line.textBytes);
    if (h.describe.canSetLink) {
      expect(line.textBytes).toBeGreaterThan(textBefore);
      expect(host.garbageBytes).toBeGreaterThan(hostBefore.garbageBytes);
    }
    // No error, no re-handshake: the text cost at most retransmissions.
    expect(host.reconnects).toBe(hostBefore.reconnects);
    expect(host.timeouts).toBe(hostBefore.timeouts);
    expect(host.reboots).toBe(0);
  });

  it('a second session is logged on the line and finds the same boot', async (ctx) => {
    if (!shared || !client) return ctx.skip('the board does not share its console with the bridge');
    const bootId = client.info.bootId;
    await client.close();
    await tap?.close();
    client = undefined;
    tap = undefined;
    ({ tap, client } = await openTapped(h));
    const t = tap;
    await until('the link reset log line of the new session', () => LINK_RESET_LOG.test(t.splitter.text()), 5000);
    expect(client.info.bootId).toBe(bootId);
    const probe = pattern(300, 5);
    expect(Buffer.from((await client.ping(probe)).data).equals(Buffer.from(probe))).toBe(true);
  });

  it('the boot banner of a reset travels on the bridge line, and the session recovers by itself', async (ctx) => {
    if (!shared || !tap || !client) return ctx.skip('the board does not share its console with the bridge');
    if (h.describe.resetKind !== 'external' || !h.control) return ctx.skip('no external reset on this target');
    const c = client;
    const t = tap;
    const mark = t.splitter.mark();
    const rebooted = new Promise<void>((resolve) => c.once('reboot', () => resolve()));
    const inFlight = Array.from({ length: 20 }, (_, i) => c.ping(pattern(64, 900 + i), { timeout: 30_000 }).then(
      () => 'ok',
      (err: unknown) => {
        if (err instanceof BoardRebootedError || err instanceof LinkResetError) return 'typed';
        throw err;
      },
    ));
    await h.control.reset();
    await rebooted;
    await until('the boot banner on the bridge line', () => /\*\*\* Booting Zephyr OS/.test(t.splitter.textSince(mark)), 10_000);
    await Promise.all(inFlight);
    const probe = pattern(200, 77);
    expect(Buffer.from((await c.ping(probe)).data).equals(Buffer.from(probe))).toBe(true);
    expect(c.counters().reboots).toBe(1);
  });
});
