import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN, SCHEMA_HASH_HEX, type Client } from '../../src/index.js';
import { hil, openClient, type Hil } from '../lib/suite.js';

describe('handshake', () => {
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

  it('agrees on version and schema', () => {
    expect(client.info.version).toBeGreaterThanOrEqual(PROTOCOL_VERSION_MIN);
    expect(client.info.version).toBeLessThanOrEqual(PROTOCOL_VERSION_MAX);
    expect(client.info.schemaHash).toBe(SCHEMA_HASH_HEX);
    expect(client.info.bootId).toMatch(/^[0-9a-f]{16}$/);
    expect(client.info.mtu).toBeGreaterThanOrEqual(64);
    expect(client.info.window).toBeGreaterThanOrEqual(1);
  });

  it('reports the facts the build was configured with', (ctx) => {
    const want = h.expect;
    if (!want) return ctx.skip(); // a real board: nothing to compare against
    const info = client.info;
    expect(info.board).toBe(want.board);
    expect(info.zephyrVersion).toBe(want.zephyrVersion);
    if (want.firmwareVersion !== null) expect(info.firmwareVersion).toBe(want.firmwareVersion);
    if (want.mtu !== null) expect(info.mtu).toBe(want.mtu);
    if (want.window !== null) expect(info.window).toBe(want.window);
    for (const [key, value] of Object.entries(want.limits)) {
      if (value !== null) expect(info.limits[key as keyof typeof info.limits], `limits.${key}`).toBe(value);
    }
  });

  it('finds the same boot again after reopening, with uptime advancing', async () => {
    const first = client.info;
    await client.close();
    client = await openClient(h);
    expect(client.info.bootId).toBe(first.bootId);
    expect(client.info.uptimeMs).toBeGreaterThan(first.uptimeMs);
    expect(client.counters().reboots).toBe(0);
  });
});
