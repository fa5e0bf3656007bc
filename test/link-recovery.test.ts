/**
 * Loss recovery of the link (PROTOCOL.md §1.3) against a scripted peer: go-back only on a gap ACK
 * (seq ACK_GAP), never on a plain re-acknowledgement of a duplicate; the backed-off RTO kept until
 * a frame sent once gives a sample (Karn); and our own ACKs tell a gap from a duplicate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder } from '../src/framing/decoder.js';
import { ACK_GAP, type Frame, FrameType, encodeWire } from '../src/framing/frame.js';
import { Link, type LinkOptions } from '../src/link/link.js';
import { createMemoryPair } from '../src/transport/memory.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Link whose peer is this test: it sees every frame the link writes and writes crafted ones. */
async function scriptedPeer(opts: LinkOptions = {}) {
  const [a, b] = createMemoryPair();
  const link = new Link(a, opts);
  cleanups.push(() => link.close());
  const decoder = new FrameDecoder();
  const seen: Frame[] = [];
  b.on('data', (c: Buffer) => seen.push(...decoder.push(c)));
  const write = (f: Omit<Frame, 'payload'> & { payload?: Uint8Array }) =>
    b.write(encodeWire({ payload: new Uint8Array(0), ...f }));
  // The peer resets the link: both sides start at seq 0.
  write({ type: FrameType.RST, seq: 0, ack: 0, win: 8, payload: Uint8Array.of(9, 9, 9, 9) });
  await sleep(5);
  expect(link.state).toBe('up');
  const data = () => seen.filter((f) => f.type === FrameType.DATA);
  const acks = () => seen.filter((f) => f.type === FrameType.ACK);
  return { link, seen, write, data, acks };
}

describe('go-back on a gap ACK only', () => {
  it('a gap ACK (seq ACK_GAP) resends everything unacknowledged at once, once per window base', async () => {
    const { link, write, data } = await scriptedPeer({ rtoInitialMs: 5000, rtoMinMs: 5000 });
    for (let i = 0; i < 4; i++) void link.send(Uint8Array.of(i)).catch(() => {});
    await sleep(5);
    expect(data().map((f) => f.seq)).toEqual([0, 1, 2, 3]);
    write({ type: FrameType.ACK, seq: ACK_GAP, ack: 1, win: 8 }); // got 0, lost 1: go back to 1
    await sleep(5);
    expect(data().map((f) => f.seq)).toEqual([0, 1, 2, 3, 1, 2, 3]);
    write({ type: FrameType.ACK, seq: ACK_GAP, ack: 1, win: 8 }); // the same gap again: no second storm
    await sleep(5);
    expect(data()).toHaveLength(7);
    expect(link.counters().fastRetransmits).toBe(1);
    expect(link.counters().retransmits).toBe(3);
  });

  it('a plain ACK that acknowledges nothing new (a re-ack of a duplicate) resends nothing', async () => {
    const { link, write, data } = await scriptedPeer({ rtoInitialMs: 5000, rtoMinMs: 5000 });
    for (let i = 0; i < 3; i++) void link.send(Uint8Array.of(i)).catch(() => {});
    await sleep(5);
    write({ type: FrameType.ACK, seq: 0, ack: 1, win: 8 }); // progress
    for (let i = 0; i < 5; i++) write({ type: FrameType.ACK, seq: 0, ack: 1, win: 8 }); // re-acks
    await sleep(5);
    expect(data().map((f) => f.seq)).toEqual([0, 1, 2]);
    expect(link.counters().retransmits).toBe(0);
    expect(link.counters().fastRetransmits).toBe(0);
  });
});

describe('our ACKs tell a gap from a duplicate', () => {
  it('a frame from the future gets a gap ACK; a duplicate gets a plain one', async () => {
    const { link, write, acks } = await scriptedPeer();
    const got: number[] = [];
    link.on('message', (p: Uint8Array) => got.push(p[0] as number));
    write({ type: FrameType.DATA, seq: 0, ack: 0, win: 8, payload: Uint8Array.of(10) });
    await sleep(5);
    write({ type: FrameType.DATA, seq: 2, ack: 0, win: 8, payload: Uint8Array.of(12) }); // 1 was lost
    await sleep(5);
    const gap = acks().at(-1);
    expect(gap).toMatchObject({ seq: ACK_GAP, ack: 1 });
    write({ type: FrameType.DATA, seq: 0, ack: 0, win: 8, payload: Uint8Array.of(10) }); // duplicate
    await sleep(5);
    expect(acks().at(-1)).toMatchObject({ seq: 0, ack: 1 });
    expect(got).toEqual([10]);
    expect(link.counters().outOfOrder).toBe(1);
    expect(link.counters().duplicates).toBe(1);
  });
});

describe('Karn: a backed-off RTO stays until a clean sample', () => {
  it('after a timeout, an ack of a retransmitted frame does not snap the RTO back to the old SRTT', async () => {
    const { link, write, data } = await scriptedPeer({ rtoInitialMs: 40, rtoMinMs: 20, rtoMaxMs: 2000 });
    // A clean sample first: a quick ack gives a small SRTT.
    const first = link.send(Uint8Array.of(0));
    await sleep(2);
    write({ type: FrameType.ACK, seq: 0, ack: 1, win: 8 });
    await first;
    const quick = link.counters().rtoMs;
    expect(link.counters().rttSamples).toBe(1);
    // The next frame is slow (a big frame behind others on a slow line): it times out once.
    const second = link.send(Uint8Array.of(1));
    await sleep(quick * 1.5 + 20);
    expect(data().filter((f) => f.seq === 1).length).toBeGreaterThanOrEqual(2);
    const backedOff = link.counters().rtoMs;
    expect(backedOff).toBeGreaterThan(quick);
    write({ type: FrameType.ACK, seq: 0, ack: 2, win: 8 });
    await second;
    // Acknowledged, but only after a retransmission: no sample, and the RTO keeps its backoff.
    expect(link.counters().rttSamples).toBe(1);
    expect(link.counters().rtoMs).toBe(backedOff);
    // A frame sent once and acked gives a sample: now the RTO follows the measurement again.
    const third = link.send(Uint8Array.of(2));
    await sleep(2);
    write({ type: FrameType.ACK, seq: 0, ack: 3, win: 8 });
    await third;
    expect(link.counters().rttSamples).toBe(2);
    expect(link.counters().rtoMs).toBeLessThan(backedOff);
  });
});
