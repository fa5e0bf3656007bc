import { describe, expect, it } from 'vitest';
import { NetbridgeError, ProtocolError } from '../src/errors.js';
import { Client } from '../src/session/client.js';
import { createMemoryPair } from '../src/transport/memory.js';
import { FakeBoard } from './helpers/fake-board.js';

/** Opens a client against a fake board that announces `mtu` in HELLO; returns the outcome. */
async function openAgainst(mtu: number): Promise<{ client?: Client; error?: unknown; ms: number }> {
  const [hostSide, boardSide] = createMemoryPair();
  // The fake board's link accepts the host's frames whatever it announces.
  const board = new FakeBoard(boardSide, { mtu, link: { mtu: 1024 } });
  const t0 = performance.now();
  try {
    const client = await Client.open({ transport: hostSide, timeout: 3000 });
    return { client, ms: performance.now() - t0 };
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  } finally {
    setTimeout(() => board.close(), 50);
  }
}

describe('a board announcing absurd sizes', () => {
  it.each([0, 10, 63, 65_536, 0xffffffff])('is refused at once with a typed error when its MTU is %d', async (mtu) => {
    const r = await openAgainst(mtu);
    expect(r.client).toBeUndefined();
    expect(r.error).toBeInstanceOf(ProtocolError);
    expect((r.error as NetbridgeError).code).toBe('NB_PROTOCOL');
    expect((r.error as Error).message).toMatch(/MTU/);
    // Refused, not retried until the handshake times out.
    expect(r.ms).toBeLessThan(1500);
  });

  it.each([64, 1024, 65_535])('is accepted at the bounds (MTU %d)', async (mtu) => {
    const r = await openAgainst(mtu);
    expect(r.error).toBeUndefined();
    expect(r.client?.info.mtu).toBe(mtu);
    await r.client?.close();
  });
});
