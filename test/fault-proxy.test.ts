import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FaultProxy, FaultProxyError, type FaultProxyOptions } from '../hil/lib/fault-proxy.js';
import { NetbridgeError } from '../src/errors.js';
import { Client } from '../src/session/client.js';
import { createMemoryPair } from '../src/transport/memory.js';
import { FakeBoard } from './helpers/fake-board.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A proxy whose board side is an in-memory pipe; `far` is what the board would read and write. */
function rig(opts: FaultProxyOptions = {}) {
  const [near, far] = createMemoryPair();
  const proxy = new FaultProxy(near, opts);
  const atBoard: Buffer[] = [];
  const atHost: Buffer[] = [];
  far.on('data', (c: Buffer) => atBoard.push(c));
  proxy.host.on('data', (c: Buffer) => atHost.push(c));
  return {
    proxy,
    far,
    atBoard: () => Buffer.concat(atBoard),
    atHost: () => Buffer.concat(atHost),
    close: () => proxy.close(),
  };
}

function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('fault proxy', () => {
  it('passes bytes unchanged and in order when no fault is configured, even with jitter', async () => {
    const r = rig({ toBoard: { jitterMs: 5 } });
    const sent: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const b = bytes(100, i + 1);
      sent.push(b);
      r.proxy.host.write(b);
    }
    await until(() => r.atBoard().length === 5000);
    expect(r.atBoard().equals(Buffer.concat(sent))).toBe(true);
    const rep = r.proxy.report();
    expect(rep.toBoard.bytesIn).toBe(5000);
    expect(rep.toBoard.bytesOut).toBe(5000);
    expect(rep.toBoard.dropped + rep.toBoard.corrupted + rep.toBoard.duplicated).toBe(0);
    await r.close();
  });

  it('honours drop, corrupt and duplicate rates roughly, and accounts for every byte', async () => {
    const r = rig({ seed: 42, toHost: { dropRate: 0.01, corruptRate: 0.02, duplicateRate: 0.005 } });
    const n = 200_000;
    for (let i = 0; i < 20; i++) r.far.write(bytes(n / 20, i + 7));
    await until(() => r.proxy.report().toHost.bytesIn === n && r.proxy.report().toHost.bytesOut > 0);
    await sleep(20);
    const l = r.proxy.report().toHost;
    // Binomial counts: within 15 % of the mean at these sizes (mean >= 1000, sd ~3 %).
    expect(l.dropped).toBeGreaterThan(n * 0.01 * 0.85);
    expect(l.dropped).toBeLessThan(n * 0.01 * 1.15);
    expect(l.corrupted).toBeGreaterThan(n * 0.02 * 0.98 * 0.85);
    expect(l.corrupted).toBeLessThan(n * 0.02 * 1.15);
    expect(l.duplicated).toBeGreaterThan(n * 0.005 * 0.99 * 0.8);
    expect(l.duplicated).toBeLessThan(n * 0.005 * 1.2);
    expect(l.bytesOut).toBe(n - l.dropped + l.duplicated);
    expect(r.atHost().length).toBe(l.bytesOut);
    // The other direction is untouched.
    expect(r.proxy.report().toBoard.bytesIn).toBe(0);
    await r.close();
  });

  it('is reproducible: the same seed and input give the same output', async () => {
    const run = async () => {
      const r = rig({ seed: 9, toBoard: { corruptRate: 0.01, dropRate: 0.01, garbageRate: 0.001 } });
      r.proxy.host.write(bytes(20_000, 3));
      await until(() => r.proxy.report().toBoard.bytesIn === 20_000 && r.proxy.report().toBoard.queuedHighWater > 0);
      await sleep(20);
      const out = r.atBoard();
      await r.close();
      return out;
    };
    const a = await run();
    const b = await run();
    expect(a.length).toBeGreaterThan(19_000);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(bytes(20_000, 3))).toBe(false);
  });

  it('limits the byte rate to the baud rate, 10 bits per byte', async () => {
    const r = rig({ toBoard: { baudRate: 115_200 } });
    const n = 5760; // 0.5 s at 11 520 bytes/s
    const t0 = performance.now();
    r.proxy.host.write(bytes(n));
    await until(() => r.atBoard().length === n, 5000);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThan(500 * 0.9);
    expect(elapsed).toBeLessThan(500 * 1.5); // timers under load may run late, never early
    expect(r.atBoard().equals(bytes(n))).toBe(true);
    await r.close();
  });

  it('a slow baud rate holds the other direction unaffected', async () => {
    const r = rig({ toBoard: { baudRate: 9600 } });
    const t0 = performance.now();
    r.proxy.host.write(bytes(480)); // 0.5 s at 960 bytes/s
    r.far.write(bytes(4800));
    await until(() => r.atHost().length === 4800, 1000);
    expect(performance.now() - t0).toBeLessThan(200);
    await until(() => r.atBoard().length === 480, 3000);
    expect(performance.now() - t0).toBeGreaterThan(450);
    await r.close();
  });

  it('loses everything while cut and carries bytes again once restored', async () => {
    const r = rig();
    r.proxy.cut();
    r.proxy.host.write(bytes(100));
    r.far.write(bytes(50));
    await sleep(30);
    expect(r.atBoard().length).toBe(0);
    expect(r.atHost().length).toBe(0);
    r.proxy.restore();
    r.proxy.host.write(bytes(10, 5));
    await until(() => r.atBoard().length === 10);
    expect(r.atBoard().equals(bytes(10, 5))).toBe(true);
    const rep = r.proxy.report();
    expect(rep.cuts).toBe(1);
    expect(rep.toBoard.cutDropped).toBe(100);
    expect(rep.toHost.cutDropped).toBe(50);
    expect(rep.cutMs).toBeGreaterThanOrEqual(25);
    await r.close();
  });

  it('stalls like a flash erase: the board keeps a FIFO of what it is sent and sends nothing', async () => {
    const r = rig({ stallFifoBytes: 16 });
    const t0 = performance.now();
    r.proxy.stall(200);
    r.proxy.host.write(bytes(100));
    r.far.write(bytes(300, 2));
    await sleep(100);
    expect(r.atBoard().length).toBe(0);
    expect(r.atHost().length).toBe(0);
    await until(() => r.atHost().length === 300 && r.atBoard().length === 16, 1000);
    expect(performance.now() - t0).toBeGreaterThan(190);
    expect(r.atBoard().equals(bytes(100).subarray(0, 16))).toBe(true);
    expect(r.atHost().equals(bytes(300, 2))).toBe(true);
    const rep = r.proxy.report();
    expect(rep.toBoard.stallDropped).toBe(84);
    expect(rep.stalls).toBe(1);
    expect(rep.toHost.maxLatencyMs).toBeGreaterThan(150);
    await r.close();
  });

  it('injects garbage and console text at a rate and on demand, and counts them', async () => {
    const r = rig({ seed: 5, toHost: { garbageRate: 0.001, garbageMaxLen: 8, consoleRate: 0.0005 } });
    r.far.write(bytes(100_000));
    r.proxy.injectConsole('toHost', 'uart:~$ hello\r\n');
    r.proxy.injectGarbage('toBoard', 40, true);
    await until(() => r.proxy.report().toHost.bytesIn === 100_000);
    await sleep(20);
    const rep = r.proxy.report();
    expect(rep.toHost.garbageBursts).toBeGreaterThan(60);
    expect(rep.toHost.garbageBursts).toBeLessThan(140);
    expect(rep.toHost.consoleLines).toBeGreaterThan(25);
    expect(rep.toHost.consoleLines).toBeLessThan(80);
    expect(r.atHost().length).toBe(100_000 + rep.toHost.garbageBytes + rep.toHost.consoleBytes);
    expect(r.atHost().toString('latin1')).toContain('uart:~$ hello\r\n');
    expect(r.atBoard().length).toBe(40);
    expect(r.atBoard().includes(0)).toBe(false);
    await r.close();
  });

  it('reboots the board at a seeded random moment within the window, and refuses without a reboot function', async () => {
    let rebootedAt = 0;
    const r = rig({ seed: 3, reboot: async () => void (rebootedAt = performance.now()) });
    const t0 = performance.now();
    const at = await r.proxy.rebootAtRandom(300, 100);
    expect(at).toBeGreaterThanOrEqual(100);
    expect(at).toBeLessThanOrEqual(300);
    expect(rebootedAt - t0).toBeGreaterThanOrEqual(at - 5);
    expect(r.proxy.report().reboots).toBe(1);
    await r.close();

    const bare = rig();
    const err = await bare.proxy.reboot().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FaultProxyError);
    expect((err as FaultProxyError).code).toBe('NB_FAULT_NO_REBOOT');
    await bare.close();
  });

  it('bounds what waits for delivery and counts the overflow', async () => {
    const r = rig({ maxQueuedBytes: 1000, toBoard: { baudRate: 9600 } });
    r.proxy.host.write(bytes(5000));
    const rep = r.proxy.report();
    expect(rep.toBoard.overflowDropped).toBe(4000);
    expect(rep.toBoard.queuedHighWater).toBe(1000);
    await r.close();
  });

  it('carries a netbridge session: pipelined PINGs through 1e-3 byte errors and garbage all answer correctly', async () => {
    const [boardSide, hostSide] = createMemoryPair();
    const board = new FakeBoard(boardSide);
    const proxy = new FaultProxy(hostSide as Duplex, {
      seed: 11,
      toBoard: { corruptRate: 1e-3, dropRate: 2e-4, garbageRate: 1e-4 },
      toHost: { corruptRate: 1e-3, duplicateRate: 2e-4, consoleRate: 1e-4, jitterMs: 2 },
    });
    const client = await Client.open({ transport: proxy.host, timeout: 10_000 });
    const payloads = Array.from({ length: 200 }, (_, i) => bytes(64 + (i % 200), i + 100));
    const settled = await Promise.allSettled(payloads.map((p) => client.ping(p)));
    let ok = 0;
    for (const [i, s] of settled.entries()) {
      if (s.status === 'fulfilled') {
        expect(Buffer.from(s.value.data).equals(payloads[i] as Buffer)).toBe(true);
        ok++;
      } else {
        expect(s.reason).toBeInstanceOf(NetbridgeError);
      }
    }
    expect(ok).toBe(payloads.length);
    const rep = proxy.report();
    expect(rep.toBoard.corrupted + rep.toHost.corrupted).toBeGreaterThan(0);
    expect(client.counters().crcErrors + client.counters().garbageBytes).toBeGreaterThan(0);
    await client.close();
    await proxy.close();
    board.close();
  });
});
