import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoardRebootedError, LinkResetError, type Client, type HelloInfo } from '../../src/index.js';
import { hil, openClient, pattern, type Hil } from '../lib/suite.js';

type Outcome = 'ok' | 'rebooted' | 'reset';

describe('board reset from outside', () => {
  let h: Hil;
  let client: Client;
  beforeAll(async () => {
    h = await hil();
    client = await openClient(h, 20_000);
  });
  afterAll(async () => {
    await client?.close();
    h?.control?.close();
  });

  it('is detected by boot id, fails what was pending and recovers by itself', async () => {
    for (let i = 0; i < 50; i++) await client.ping(pattern(8, i));
    const oldInfo = client.info;
    const rebootSeen = new Promise<{ previousBootId: string; info: HelloInfo }>((resolve) => client.once('reboot', resolve));

    // Keep requests streaming across the reset so some are in flight when the board goes away.
    const outcomes: Outcome[] = [];
    let streaming = true;
    const stream = (async () => {
      let n = 0;
      while (streaming && n < 2000) {
        const batch = Array.from({ length: 8 }, (_, i) => pattern(24, 10_000 + n + i));
        n += batch.length;
        const settled = await Promise.allSettled(batch.map((p) => client.ping(p, { timeout: 30_000 })));
        for (const [i, s] of settled.entries()) {
          if (s.status === 'fulfilled') {
            expect(Buffer.from(s.value.data).equals(Buffer.from(batch[i] as Uint8Array))).toBe(true);
            outcomes.push('ok');
          } else if (s.reason instanceof BoardRebootedError) {
            expect(s.reason.code).toBe('NB_BOARD_REBOOTED');
            expect(s.reason.previousBootId).toBe(oldInfo.bootId);
            outcomes.push('rebooted');
          } else if (s.reason instanceof LinkResetError) {
            outcomes.push('reset');
          } else {
            throw s.reason;
          }
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 200));

    const resetAt = Date.now();
    if (h.describe.resetKind === 'external' && h.control) {
      await h.control.reset();
    } else {
      // A real board without an external reset line: REBOOT through the protocol.
      await client.reboot({ wait: false }).catch(() => undefined);
    }
    const { previousBootId, info } = await rebootSeen;
    await new Promise((r) => setTimeout(r, 300));
    streaming = false;
    await stream;

    expect(previousBootId).toBe(oldInfo.bootId);
    expect(info.bootId).not.toBe(oldInfo.bootId);
    expect(client.info.bootId).toBe(info.bootId);
    expect(client.counters().reboots).toBe(1);
    // Requests caught by the reset failed with a typed error; none hung or got a wrong answer.
    const failed = outcomes.filter((o) => o !== 'ok').length;
    expect(failed).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(failed);
    console.log(
      `[${h.target}] across the reset: ${outcomes.filter((o) => o === 'ok').length} answered, ` +
        `${outcomes.filter((o) => o === 'rebooted').length} BoardRebootedError, ${outcomes.filter((o) => o === 'reset').length} LinkResetError`,
    );

    // The session is back on its own: requests work and the counters are the new boot's.
    const probe = pattern(100, 42);
    const { data } = await client.ping(probe);
    expect(Buffer.from(data).equals(Buffer.from(probe))).toBe(true);
    // The new boot is younger than the time since the reset was asked for.
    expect(info.uptimeMs).toBeLessThanOrEqual(Date.now() - resetAt + 1000);
  });
});
