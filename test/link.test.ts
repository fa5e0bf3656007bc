import { afterEach, describe, expect, it } from 'vitest';
import { LinkDownError, LinkResetError, MessageTooLargeError, NetbridgeError, QueueFullError, TimeoutError } from '../src/errors.js';
import { FrameDecoder } from '../src/framing/decoder.js';
import { type Frame, FrameType, encodeWire } from '../src/framing/frame.js';
import { Link, type LinkOptions } from '../src/link/link.js';
import { createMemoryPair } from '../src/transport/memory.js';
import { type Impairments, type LossyLine, createLossyLine } from './helpers/lossy.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function pairOverLine(imp: Impairments, opts: LinkOptions = {}, boardOpts: LinkOptions = {}) {
  const line = createLossyLine(imp);
  const host = new Link(line.a, { rtoMinMs: 20, rtoInitialMs: 60, ...opts });
  const board = new Link(line.b, { rtoMinMs: 20, rtoInitialMs: 60, ...boardOpts });
  cleanups.push(() => {
    host.close();
    board.close();
    line.close();
  });
  return { line, host, board };
}

function collect(link: Link): number[] {
  const got: number[] = [];
  link.on('message', (p: Uint8Array) => got.push(Buffer.from(p).readUInt32BE(0)));
  return got;
}

const msg = (n: number) => {
  const b = Buffer.alloc(4 + (n % 50));
  b.writeUInt32BE(n, 0);
  return new Uint8Array(b);
};

/** Sends `count` messages, recording for each whether send() resolved or failed typed. */
async function sendAll(link: Link, count: number, from = 0) {
  const outcomes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      link.send(msg(from + i)).then(
        () => 'acked' as const,
        (e: unknown) => e,
      ),
    ),
  );
  return outcomes;
}

function expectOrderedOnce(got: number[], from: number) {
  // Delivered exactly once and in order: a contiguous run starting at `from`.
  expect(got).toEqual(Array.from({ length: got.length }, (_, i) => from + i));
}

describe('link reset', () => {
  it('synchronises both ends with RST/RST_ACK and counts the resync', async () => {
    const { host, board } = pairOverLine({});
    const peerReset = new Promise<void>((r) => board.once('peer-reset', r));
    await host.reset({ timeoutMs: 1000 });
    await peerReset;
    expect(host.state).toBe('up');
    expect(board.state).toBe('up');
    expect(host.counters().resyncs).toBe(1);
    expect(board.counters().peerResets).toBe(1);
  });

  it('repeats RST every interval until an RST_ACK gets through', async () => {
    const { line, host } = pairOverLine({ drop: 1 }, { resetIntervalMs: 30 });
    const done = host.reset({ timeoutMs: 2000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(line.stats.written).toBeGreaterThanOrEqual(3); // RSTs repeated while the line drops all
    line.set({ drop: 0 });
    await done;
    expect(host.state).toBe('up');
  });

  it('times out typed when nobody answers', async () => {
    const [a] = createMemoryPair();
    const host = new Link(a, { resetIntervalMs: 20 });
    cleanups.push(() => host.close());
    await expect(host.reset({ timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('fails frames in flight with LinkResetError when the peer resets, and reports the peer reset', async () => {
    const { line, host, board } = pairOverLine({});
    await host.reset({ timeoutMs: 1000 });
    line.set({ drop: 1 }); // nothing gets acked
    const pending = host.send(msg(1)).catch((e: unknown) => e);
    const peerReset = new Promise<void>((r) => host.once('peer-reset', r));
    await new Promise((r) => setTimeout(r, 20));
    line.set({ drop: 0 });
    await board.reset({ timeoutMs: 1000 });
    await peerReset;
    expect(await pending).toBeInstanceOf(LinkResetError);
    // The new link works both ways.
    const got = collect(board);
    await host.send(msg(7));
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([7]);
  });

  it('answers a repeated RST (same nonce) without resetting again', async () => {
    const [a, b] = createMemoryPair();
    const link = new Link(a);
    cleanups.push(() => link.close());
    const decoder = new FrameDecoder();
    const seen: Frame[] = [];
    b.on('data', (c: Buffer) => seen.push(...decoder.push(c)));
    const rst = encodeWire({ type: FrameType.RST, seq: 0, ack: 0, win: 4, payload: Uint8Array.of(1, 2, 3, 4) });
    b.write(rst);
    await new Promise((r) => setTimeout(r, 5));
    // Peer sends DATA seq 0 on the new link; we deliver it and expect seq 1 next.
    const got = collect(link);
    b.write(encodeWire({ type: FrameType.DATA, seq: 0, ack: 0, win: 4, payload: msg(42) }));
    await new Promise((r) => setTimeout(r, 5));
    b.write(rst); // the repetition arrives late
    b.write(encodeWire({ type: FrameType.DATA, seq: 1, ack: 0, win: 4, payload: msg(43) }));
    await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual([42, 43]);
    expect(link.counters().peerResets).toBe(1);
    expect(seen.filter((f) => f.type === FrameType.RST_ACK)).toHaveLength(2);
  });

  it('ignores DATA before it is synchronised', async () => {
    const [a, b] = createMemoryPair();
    const link = new Link(a);
    cleanups.push(() => link.close());
    const got = collect(link);
    b.write(encodeWire({ type: FrameType.DATA, seq: 0, ack: 0, win: 4, payload: msg(1) }));
    await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual([]);
    expect(link.counters().ignoredUnsynced).toBe(1);
  });
});

describe('reliable delivery', () => {
  it('delivers in order over a clean line and acks everything', async () => {
    const { host, board } = pairOverLine({});
    await host.reset({ timeoutMs: 1000 });
    const got = collect(board);
    const outcomes = await sendAll(host, 200);
    expect(outcomes.every((o) => o === 'acked')).toBe(true);
    expectOrderedOnce(got, 0);
    expect(got).toHaveLength(200);
    expect(host.counters().retransmits).toBe(0);
  });

  it('wraps sequence numbers past 255', async () => {
    const { host, board } = pairOverLine({});
    await host.reset({ timeoutMs: 1000 });
    const got = collect(board);
    for (let round = 0; round < 3; round++) await sendAll(host, 200, round * 200);
    expectOrderedOnce(got, 0);
    expect(got).toHaveLength(600);
  });

  it('pipelines: with window 8 and 20 ms latency, 64 frames take far less than 64 round trips', async () => {
    const { host, board } = pairOverLine({ latencyMs: 20 }, { window: 8, rtoInitialMs: 500 }, { window: 8 });
    await host.reset({ timeoutMs: 2000 });
    const got = collect(board);
    const started = performance.now();
    await sendAll(host, 64);
    const elapsed = performance.now() - started;
    expect(got).toHaveLength(64);
    expect(host.counters().inFlightHighWater).toBe(8);
    expect(elapsed).toBeLessThan((64 * 40) / 2); // stop-and-wait would need ~2.5 s
  });

  it("never has more frames in flight than the peer's window", async () => {
    const { host, board } = pairOverLine({ latencyMs: 5 }, { window: 16 }, { window: 2 });
    await host.reset({ timeoutMs: 2000 });
    const got = collect(board);
    await sendAll(host, 40);
    expect(got).toHaveLength(40);
    expect(host.counters().inFlightHighWater).toBe(2);
  });

  it.each([
    ['drops', { drop: 0.1 }],
    ['corruption', { corrupt: 0.1 }],
    ['duplicates', { duplicate: 0.1 }],
    ['jitter', { delayMs: 15 }],
    ['all of them at 10 %', { drop: 0.1, corrupt: 0.1, duplicate: 0.1, delayMs: 10 }],
  ] as [string, Impairments][])('both directions survive %s: every message once, in order, or a typed error', { timeout: 40_000 }, async (_what, imp) => {
    for (const seed of [1, 2]) {
      const { line, host, board } = pairOverLine({ ...imp, seed }, { maxRetries: 12, window: 6 }, { maxRetries: 12, window: 6 });
      await host.reset({ timeoutMs: 3000 });
      const atBoard = collect(board);
      const atHost = collect(host);
      const [up, down] = await Promise.all([sendAll(host, 150), sendAll(board, 150)]);
      for (const [outcomes, got] of [
        [up, atBoard],
        [down, atHost],
      ] as const) {
        expectOrderedOnce(got, 0);
        outcomes.forEach((o, i) => {
          if (o === 'acked') expect(i).toBeLessThan(got.length); // acked => delivered
          else expect(o).toBeInstanceOf(NetbridgeError);
        });
        // At these rates and 12 retries the link should not die at all.
        expect(outcomes.filter((o) => o !== 'acked')).toEqual([]);
        expect(got).toHaveLength(150);
      }
      if (imp.drop || imp.corrupt) expect(host.counters().retransmits + board.counters().retransmits).toBeGreaterThan(0);
      if (imp.duplicate) expect(host.counters().duplicates + board.counters().duplicates).toBeGreaterThan(0);
      if (imp.corrupt) expect(host.counters().crcErrors + host.counters().garbageBytes).toBeGreaterThan(0);
      void line;
    }
  });

  it('declares the link down after max retries and fails everything typed', async () => {
    const { line, host } = pairOverLine({}, { maxRetries: 3, rtoMinMs: 10, rtoMaxMs: 40, rtoInitialMs: 10 });
    await host.reset({ timeoutMs: 1000 });
    line.set({ drop: 1 });
    const down = new Promise<Error>((r) => host.once('down', r));
    const outcomes = await sendAll(host, 5);
    expect(await down).toBeInstanceOf(LinkDownError);
    expect(outcomes.every((o) => o instanceof LinkDownError)).toBe(true);
    expect(host.state).toBe('down');
    expect(host.counters().retransmits).toBe(3 * 5);
    await expect(host.send(msg(1))).rejects.toBeInstanceOf(LinkDownError);
  });

  it('adapts the RTO to the measured round trip (RFC 6298, bounded)', async () => {
    const { host } = pairOverLine({ latencyMs: 25 }, { rtoInitialMs: 1000, rtoMinMs: 30, rtoMaxMs: 2000 });
    await host.reset({ timeoutMs: 2000 });
    for (let i = 0; i < 10; i++) await host.send(msg(i));
    const c = host.counters();
    expect(c.rttSamples).toBe(10);
    expect(c.srttMs).toBeGreaterThan(45);
    expect(c.srttMs).toBeLessThan(250);
    expect(c.rtoMs).toBeGreaterThanOrEqual(c.srttMs);
    expect(c.rtoMs).toBeLessThan(1000);
  });

  it('bounds the send queue and counts what it refuses', async () => {
    const { line, host } = pairOverLine({}, { sendQueueLimit: 4, window: 2 });
    await host.reset({ timeoutMs: 1000 });
    line.set({ drop: 1 });
    const outcomes = Array.from({ length: 10 }, (_, i) => host.send(msg(i)).catch((e: unknown) => e));
    const refused = (await Promise.all(outcomes.slice(6))).filter((o) => o instanceof QueueFullError);
    expect(refused).toHaveLength(4); // 2 in flight + 4 queued accepted
    expect(host.counters().txQueueDrops).toBe(4);
    host.close();
    await Promise.all(outcomes);
  });

  it("refuses a payload larger than the peer's MTU", async () => {
    const { host } = pairOverLine({}, { peerMtu: 64 });
    await host.reset({ timeoutMs: 1000 });
    await expect(host.send(new Uint8Array(65))).rejects.toBeInstanceOf(MessageTooLargeError);
  });

  it('survives garbage and console text injected between frames', async () => {
    const { host, board } = pairOverLine({});
    await host.reset({ timeoutMs: 1000 });
    const got = collect(board);
    const sends = sendAll(host, 50);
    for (let i = 0; i < 10; i++) host.writeRaw(Buffer.from(`\x00[00:00:0${i}.000,000] <inf> net: noise\r\nuart:~$ `));
    await sends;
    expectOrderedOnce(got, 0);
    expect(got).toHaveLength(50);
    expect(board.counters().garbageBytes).toBeGreaterThan(0);
  });
});

describe('lossy line helper', () => {
  it('really impairs the line (so the tests above can fail)', async () => {
    const line: LossyLine = createLossyLine({ drop: 0.5, seed: 3 });
    cleanups.push(() => line.close());
    let received = 0;
    line.b.on('data', () => received++);
    for (let i = 0; i < 200; i++) line.a.write(Buffer.of(1, 2, 3));
    await new Promise((r) => setTimeout(r, 20));
    expect(line.stats.dropped).toBeGreaterThan(50);
    expect(received).toBe(200 - line.stats.dropped);
  });
});
