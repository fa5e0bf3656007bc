/**
 * The soak's TCP workload (hil/lib/fault-workloads.ts) against the in-memory sockets board: the
 * probe, a stream checked by SHA-256, a refusal counted without leaking sockets, and a reboot
 * mid-stream that ends it typed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { newStreamStats, newVerdicts, probeTcp, tcpStream, type TcpEndpoint } from '../hil/lib/fault-workloads.js';
import { Client } from '../src/session/client.js';
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
  return { board, client };
}

const ep: TcpEndpoint = { address: '127.0.0.1', basePort: 6100, ports: 4 };
const never = () => false;

describe('soak TCP workload', () => {
  it('the probe passes when 64 bytes cross a board TCP connection, and closes what it opened', async () => {
    const { board, client } = await setup();
    expect(await probeTcp(client, ep)).toBeNull();
    expect(board.openSockets).toBe(0);
  });

  it('a stream arrives exactly once and in order (SHA-256), with short writes', async () => {
    const { board, client } = await setup({ window: 900, sendMax: 300 });
    const v = newVerdicts();
    const s = newStreamStats();
    await tcpStream(client, v, s, ep, 16 * 1024, 3, never);
    expect(v.violations).toEqual([]);
    expect(s).toMatchObject({ streams: 1, intact: 1, endedTyped: 0, openFailures: 0 });
    expect(s.bytesConfirmed).toBeGreaterThanOrEqual(16 * 1024);
    expect(s.bytesReceived).toBe(s.bytesConfirmed);
    expect(board.openSockets).toBe(0);
  });

  it('a board out of sockets: the probe says why, the stream counts an open failure and leaks nothing', async () => {
    const { board, client } = await setup({ maxSockets: 1 });
    expect(await probeTcp(client, ep)).toMatch(/no connection: .*EMFILE/);
    const v = newVerdicts();
    const s = newStreamStats();
    await tcpStream(client, v, s, ep, 1024, 1, never);
    expect(v.violations).toEqual([]);
    expect(s).toMatchObject({ streams: 0, openFailures: 1 });
    expect(Object.keys(v.typed).some((k) => k.includes('EMFILE'))).toBe(true);
    expect(board.openSockets).toBe(0);
  });

  it('a reboot mid-stream ends it typed, with what arrived a prefix of what was written', async () => {
    const { board, client } = await setup({ window: 600, sendMax: 200 });
    const v = newVerdicts();
    const s = newStreamStats();
    const streaming = tcpStream(client, v, s, ep, 64 * 1024, 5, never);
    await new Promise((r) => setTimeout(r, 150));
    await board.reboot();
    await streaming;
    expect(v.violations).toEqual([]);
    expect(s).toMatchObject({ streams: 1, intact: 0, endedTyped: 1 });
    expect(s.bytesConfirmed).toBeLessThan(64 * 1024);
  });
});
