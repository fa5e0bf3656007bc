/**
 * The link's timeouts on a line of known rate, on virtual time (test/helpers/rated-line.ts): a bulk
 * transfer of full frames after small requests trained a short RTO must neither storm nor be
 * declared dead, and a dead peer must still be found within a bound.
 */
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkDownError } from '../src/errors.js';
import { DEFAULT_MTU, maxEncodedFrameSize } from '../src/framing/frame.js';
import { LINE_TIME_MARGIN, Link, type LinkOptions } from '../src/link/link.js';
import { Client } from '../src/session/client.js';
import { isPseudoTerminal, serialLineRate } from '../src/transport/serial.js';
import { FakeBoard } from './helpers/fake-board.js';
import { type RatedLine, type RatedLineOptions, VirtualClock, createRatedLine } from './helpers/rated-line.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Messages starting with this byte are echoed by the peer; others are only received. */
const ECHO = 1;
const BULK = 2;
const FULL = new Uint8Array(DEFAULT_MTU).fill(BULK);
/** Line time of one full DATA frame at `bytesPerSec`, ms. */
const frameMs = (bytesPerSec: number) => ((maxEncodedFrameSize(DEFAULT_MTU) + 2) * 1000) / bytesPerSec;

interface Rig {
  clock: VirtualClock;
  line: RatedLine;
  host: Link;
  board: Link;
  /** Virtual times at which either end declared its link dead. */
  downs: { host: number[]; board: number[] };
  /** Messages the board delivered; echoes the host delivered. */
  atBoard: number;
  echoes: number;
}

async function rig(line: RatedLineOptions, o: { lineRate: boolean; echoBulk?: boolean; link?: LinkOptions }): Promise<Rig> {
  const clock = new VirtualClock();
  const l = createRatedLine(clock, line);
  const opts: LinkOptions = { clock, ...(o.lineRate ? { lineRate: line.bytesPerSec } : {}), ...o.link };
  const r: Rig = { clock, line: l, host: new Link(l.a, opts), board: new Link(l.b, opts), downs: { host: [], board: [] }, atBoard: 0, echoes: 0 };
  cleanups.push(() => {
    r.host.close();
    r.board.close();
    l.close();
  });
  r.host.on('down', () => r.downs.host.push(clock.now()));
  r.board.on('down', () => r.downs.board.push(clock.now()));
  r.board.on('message', (p: Uint8Array) => {
    r.atBoard++;
    if (p[0] === ECHO || (o.echoBulk && p[0] === BULK)) r.board.send(p).catch(() => undefined);
  });
  r.host.on('message', () => r.echoes++);
  const up = r.host.reset({ timeoutMs: 10_000 });
  await clock.run(() => r.host.state === 'up' && r.board.state === 'up', 10_000);
  await up;
  return r;
}

/** Small request/answer pairs, one at a time: they train the RTO to a few ms of round trip. */
async function warmUp(r: Rig, n = 20): Promise<void> {
  for (let i = 0; i < n; i++) {
    const before = r.echoes;
    void r.host.send(Uint8Array.of(ECHO, i));
    expect(await r.clock.run(() => r.echoes > before, r.clock.now() + 10_000)).toBe(true);
  }
}

/** Queues `frames` full frames at once and runs until every send settled. */
async function bulk(r: Rig, frames: number, limitMs: number) {
  const t0 = r.clock.now();
  const echoes0 = r.echoes;
  const outcomes: unknown[] = [];
  for (let i = 0; i < frames; i++) r.host.send(FULL).then(() => outcomes.push('acked'), (e: unknown) => outcomes.push(e));
  const settled = await r.clock.run(() => outcomes.length === frames, t0 + limitMs);
  return { settled, outcomes, seconds: (r.clock.now() - t0) / 1000, echoes: () => r.echoes - echoes0 };
}

describe('link on a rate-limited line, line rate known', () => {
  it.each([
    [115_200, 160],
    [9_600, 24],
  ])('%i baud: full frames after small requests go at the line rate, no retransmission, link stays up', async (baud, frames) => {
    const rate = baud / 10;
    const r = await rig({ bytesPerSec: rate }, { lineRate: true });
    await warmUp(r);
    expect(r.host.counters().rtoMs).toBeLessThan(frameMs(rate)); // the trap: the RTO is shorter than one frame's line time
    const atBoard0 = r.atBoard;
    const b = await bulk(r, frames, 3_600_000);
    expect(b.settled).toBe(true);
    expect(b.outcomes.every((x) => x === 'acked')).toBe(true);
    expect(r.atBoard - atBoard0).toBe(frames);
    expect(r.host.counters().retransmits).toBe(0);
    expect(r.downs).toEqual({ host: [], board: [] });
    expect((frames * DEFAULT_MTU) / b.seconds / rate).toBeGreaterThan(0.9); // goodput / line rate
  });

  it.each([115_200, 9_600])('%i baud, the peer echoes every full frame (both directions full): no retransmission on either side', async (baud) => {
    const rate = baud / 10;
    const frames = baud > 10_000 ? 120 : 16;
    const r = await rig({ bytesPerSec: rate }, { lineRate: true, echoBulk: true });
    await warmUp(r);
    const b = await bulk(r, frames, 3_600_000);
    expect(await r.clock.run(() => b.echoes() === frames, r.clock.now() + 600_000)).toBe(true);
    expect(b.outcomes.every((x) => x === 'acked')).toBe(true);
    expect(r.host.counters().retransmits).toBe(0);
    expect(r.board.counters().retransmits).toBe(0);
    expect(r.downs).toEqual({ host: [], board: [] });
  });

  it('a line that carries only half its nominal rate still completes without a retransmission', async () => {
    const r = await rig({ bytesPerSec: 11_520, carries: 0.5 }, { lineRate: true, echoBulk: true });
    await warmUp(r);
    const b = await bulk(r, 60, 3_600_000);
    expect(await r.clock.run(() => b.echoes() === 60, r.clock.now() + 600_000)).toBe(true);
    expect(r.host.counters().retransmits + r.board.counters().retransmits).toBe(0);
    expect(r.downs).toEqual({ host: [], board: [] });
  });

  it('a line that carries a third of its nominal rate (an emulated UART) recovers from the spurious timeouts: all delivered, none dead', async () => {
    const r = await rig({ bytesPerSec: 100_000, carries: 0.31 }, { lineRate: true, echoBulk: true });
    await warmUp(r);
    const frames = 200;
    const b = await bulk(r, frames, 3_600_000);
    expect(await r.clock.run(() => b.echoes() === frames, r.clock.now() + 600_000)).toBe(true);
    expect(b.outcomes.every((x) => x === 'acked')).toBe(true);
    expect(r.downs).toEqual({ host: [], board: [] });
    // Bounded: Karn's rule keeps the backed-off timer until a clean sample, so the spurious
    // rounds end instead of feeding themselves.
    expect(r.host.counters().retransmits + r.board.counters().retransmits).toBeLessThan(frames * 2);
    expect((frames * DEFAULT_MTU) / b.seconds / 31_000).toBeGreaterThan(0.3);
  });
});

describe('link on a rate-limited line, line rate unknown', () => {
  it('storms on the same transfer (why the line-time floor exists)', async () => {
    const frames = 40;
    const r = await rig({ bytesPerSec: 11_520 }, { lineRate: false });
    await warmUp(r);
    const b = await bulk(r, frames, 3_600_000);
    expect(b.settled).toBe(true);
    const c = r.host.counters();
    expect(c.lineRate).toBe(0);
    expect(c.retransmits > frames || r.downs.host.length > 0).toBe(true);
  });
});

describe('a dead peer on a line of known rate', () => {
  /** Cuts the line with `frames` full frames (or small ones) queued; returns ms from cut to 'down'. */
  async function timeToDown(baud: number, o: { frames: number; full: boolean; peerBusy: boolean; lineRate: boolean }) {
    const r = await rig({ bytesPerSec: baud / 10 }, { lineRate: o.lineRate });
    await warmUp(r, 5);
    if (o.peerBusy) for (let i = 0; i < 16; i++) r.board.send(FULL).catch(() => undefined);
    const outcomes: Promise<unknown>[] = [];
    for (let i = 0; i < o.frames; i++) outcomes.push(r.host.send(o.full ? FULL : Uint8Array.of(BULK, i)).catch((e: unknown) => e));
    if (o.peerBusy) await r.clock.advance(3 * frameMs(baud / 10)); // cut while both directions are full
    const cutAt = r.clock.now();
    r.line.cut(true);
    expect(await r.clock.run(() => r.downs.host.length > 0, cutAt + 3_600_000)).toBe(true);
    expect(r.host.state).toBe('down');
    for (const x of await Promise.all(outcomes)) expect(x === undefined || x instanceof LinkDownError).toBe(true);
    return (r.downs.host[0] as number) - cutAt;
  }

  it.each([115_200, 9_600])('%i baud: a small frame on a quiet line is declared dead as fast as without a line rate', async (baud) => {
    const withRate = await timeToDown(baud, { frames: 1, full: false, peerBusy: false, lineRate: true });
    const without = await timeToDown(baud, { frames: 1, full: false, peerBusy: false, lineRate: false });
    expect(withRate).toBeLessThan(without * 1.1);
  });

  it.each([
    [115_200, false],
    [115_200, true],
    [9_600, false],
    [9_600, true],
  ])('%i baud, full window in flight, peer busy %s: declared dead within the documented bound', async (baud, peerBusy) => {
    const rate = baud / 10;
    const ms = await timeToDown(baud, { frames: 16, full: true, peerBusy, lineRate: true });
    // PROTOCOL.md §1.3: each expiry waits at most max(rtoMax, LINE_TIME_MARGIN x (two windows of
    // ours + one of the peer's) + rtoMin); the link is dead after maxRetries + 1 expiries.
    const window = 8 * frameMs(rate);
    const perExpiry = Math.max(2000, LINE_TIME_MARGIN * 3 * window + 30);
    expect(ms).toBeLessThanOrEqual(9 * perExpiry);
    expect(ms).toBeGreaterThan(0);
  });
});

describe("Karn's rule with backoff", () => {
  it('keeps the backed-off RTO after an ACK of a retransmitted frame, until a frame sent once is acknowledged', async () => {
    const r = await rig({ bytesPerSec: 100_000 }, { lineRate: false, link: { rtoInitialMs: 100, rtoMinMs: 30 } });
    await warmUp(r, 10);
    const trained = r.host.counters().rtoMs;
    r.line.cut(true);
    let acked = false;
    void r.host.send(Uint8Array.of(BULK)).then(() => (acked = true));
    await r.clock.run(() => r.host.counters().retransmits >= 3, r.clock.now() + 60_000);
    r.line.cut(false);
    expect(await r.clock.run(() => acked, r.clock.now() + 60_000)).toBe(true);
    // The ACK may answer any copy: no sample, and the backed-off timer stays.
    const backedOff = r.host.counters().rtoMs;
    expect(backedOff).toBeGreaterThanOrEqual(8 * trained);
    expect(r.host.counters().rttSamples).toBe(10);
    await warmUp(r, 1);
    expect(r.host.counters().rttSamples).toBe(11);
    expect(r.host.counters().rtoMs).toBeLessThan(backedOff / 4); // a clean sample brings it back
  });
});

describe('the line rate reaches the link', () => {
  it('Client.open({ transport, baudRate }) floors the timeouts: PING echoes of full frames at 9600 baud, no retransmission', async () => {
    const run = async (baudRate: number | undefined) => {
      const clock = new VirtualClock();
      const line = createRatedLine(clock, { bytesPerSec: 960 });
      const board = new FakeBoard(line.b, { window: 8, link: { clock, lineRate: 960 } });
      const opening = Client.open({ transport: line.a, timeout: 600_000, heartbeatMs: 0, link: { clock }, ...(baudRate ? { baudRate } : {}) });
      let client: Client | undefined;
      void opening.then((c) => (client = c));
      expect(await clock.run(() => client !== undefined, 60_000)).toBe(true);
      const c = client as Client;
      cleanups.push(async () => {
        await c.close();
        board.close();
        line.close();
      });
      let done = 0;
      for (let i = 0; i < 5; i++) {
        void c.ping(Uint8Array.of(i)).then(() => done++);
        await clock.run(() => done === i + 1, clock.now() + 10_000);
      }
      const data = new Uint8Array(1000).fill(7);
      const pings = Array.from({ length: 12 }, () => c.ping(data, { timeout: 600_000 }).then(() => done++, () => done++));
      expect(await clock.run(() => done === 17, clock.now() + 1_200_000)).toBe(true);
      await Promise.all(pings);
      return c.counters();
    };
    const told = await run(9600);
    expect(told.lineRate).toBe(960);
    expect(told.retransmits).toBe(0);
    const untold = await run(undefined);
    expect(untold.lineRate).toBe(0);
    expect(untold.retransmits).toBeGreaterThan(0);
  });

  it('a serial port carries baud / 10 bytes/s; a pty has no known rate', () => {
    expect(serialLineRate('/dev/ttyUSB0', 9600)).toBe(960);
    expect(serialLineRate('/dev/ttyACM0')).toBe(11_520);
    expect(serialLineRate('/dev/pts/3', 115_200)).toBeUndefined();
    expect(isPseudoTerminal('/dev/ttys004')).toBe(true);
    expect(isPseudoTerminal('/dev/ttyS0')).toBe(false);
    const dir = mkdtempSync(path.join(tmpdir(), 'nb-serial-'));
    writeFileSync(path.join(dir, 'file'), '');
    symlinkSync(path.join(dir, 'file'), path.join(dir, 'pts'));
    expect(isPseudoTerminal(path.join(dir, 'pts'))).toBe(false); // judged by what the link points to
  });
});
