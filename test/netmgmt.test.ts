import { afterEach, describe, expect, it } from 'vitest';
import {
  AbortError,
  BoardError,
  Client,
  DumpInterruptedError,
  InvalidAddressError,
  NET_EVENT_HOSTNAME_CHANGED,
  NET_EVENT_IF_ADMIN_DOWN,
  NET_EVENT_IF_ADMIN_UP,
  NET_EVENT_IF_DOWN,
  NET_EVENT_IF_UP,
  NET_EVENT_IPV4_ADDR_ADD,
  NET_EVENT_IPV4_ADDR_DEL,
  NET_EVENT_IPV4_DHCP_START,
  NET_EVENT_IPV6_ADDR_ADD,
  NET_EVENT_L4_CONNECTED,
  type NetEvent,
  NetMgmt,
  type NetMgmtOptions,
  type Resync,
  SubscriptionLimitError,
  TimeoutError,
  createMemoryPair,
  eventCodes,
} from '../src/index.js';
import { FakeBoard } from './helpers/fake-board.js';
import { NetMgmtBoard } from './helpers/netmgmt-board.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: NetMgmtOptions = {}) {
  const [h, b] = createMemoryPair();
  const board = new FakeBoard(b, { silentOps: NetMgmtBoard.silentOps() });
  const nb = new NetMgmtBoard(board);
  cleanups.push(() => board.close());
  const client = await Client.open({ transport: h, timeout: 1000, heartbeatMs: 0 });
  cleanups.push(() => client.close());
  const nm = new NetMgmt(client, opts);
  cleanups.push(() => nm.close());
  return { client, board, nb, nm };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe('event callbacks', () => {
  it('one callback across layers gets exactly what its masks name', async () => {
    const { nm, nb } = await setup();
    const got: NetEvent[] = [];
    const cb = nm.initEventCallback((ev) => got.push(ev), [NET_EVENT_IF_UP | NET_EVENT_IF_DOWN, NET_EVENT_IPV4_ADDR_ADD]);
    await nm.addEventCallback(cb);
    expect(nb.masks).toEqual([NET_EVENT_IF_UP | NET_EVENT_IF_DOWN, NET_EVENT_IPV4_ADDR_ADD].sort((a, b) => (a < b ? -1 : 1)));
    nb.raise(NET_EVENT_IF_UP, 2);
    nb.raise(NET_EVENT_IF_ADMIN_UP, 2); // not subscribed: the board does not even send it
    nb.raise(NET_EVENT_IPV6_ADDR_ADD, 2, { family: 6, address: '2001:db8::5' });
    nb.raise(NET_EVENT_IPV4_ADDR_ADD, 2, { family: 4, address: '192.0.2.9', prefixLen: 24 });
    await until(() => got.length >= 2);
    await tick();
    expect(got.map((e) => e.name)).toEqual(['NET_EVENT_IF_UP', 'NET_EVENT_IPV4_ADDR_ADD']);
    expect(got[0]).toMatchObject({ code: NET_EVENT_IF_UP, ifindex: 2, layer: 1, layerCode: 1, command: 2, uptimeMs: 1234 });
    expect(got[1]?.info).toEqual({ family: 4, address: '192.0.2.9', prefixLen: 24 });

    await nm.delEventCallback(cb);
    expect(nb.masks).toEqual([]);
    expect(nb.raise(NET_EVENT_IF_UP, 2)).toBe(false);
  });

  it('filters exactly on the host when the board filter is a folded superset', async () => {
    // Zephyr 3.7 layout: five masks into the board's four slots widen IF_UP/IF_DOWN to all IF events.
    const { nm, nb } = await setup({ layout: '32' });
    nb.layout = '32';
    const t = eventCodes('32');
    const up: NetEvent[] = [];
    const down: NetEvent[] = [];
    const other: NetEvent[] = [];
    await nm.addEventCallback(nm.initEventCallback((e) => up.push(e), NET_EVENT_IF_UP));
    await nm.addEventCallback(nm.initEventCallback((e) => down.push(e), NET_EVENT_IF_DOWN));
    await nm.addEventCallback(nm.initEventCallback((e) => other.push(e), [NET_EVENT_IPV4_ADDR_ADD, NET_EVENT_IPV6_ADDR_ADD, NET_EVENT_L4_CONNECTED]));
    expect(nb.masks).toHaveLength(4);
    expect(nb.masks).toContain(0xd0010000n); // IF layer code, every command
    expect(nm.boardSubscription).toEqual(nb.masks);
    nb.raise(NET_EVENT_IF_ADMIN_UP, 2); // passes the board's filter, named by no callback
    nb.raise(NET_EVENT_IF_UP, 2);
    // 3.7's IPV4 MADDR_ADD (command 3) overlaps ADDR_ADD's command 1 in Zephyr's match.
    expect(nb.raise(eventCodes('64').NET_EVENT_IPV4_MADDR_ADD as bigint, 2)).toBe(true);
    nb.raise(NET_EVENT_L4_CONNECTED, 2);
    await until(() => other.length >= 1 && up.length >= 1);
    await tick();
    expect(up.map((e) => e.code)).toEqual([t.NET_EVENT_IF_UP]);
    expect(up[0]?.name).toBe('NET_EVENT_IF_UP');
    expect(down).toEqual([]);
    expect(other.map((e) => e.name)).toEqual(['NET_EVENT_L4_CONNECTED']);
    expect(nm.counters().eventsUnmatched).toBe(2);
  });

  it('refuses masks that cannot fit the board slots with a typed error', async () => {
    const { nm } = await setup({ maxSubscriptions: 1 });
    const err = await nm.addEventCallback(nm.initEventCallback(() => {}, [NET_EVENT_IF_UP, NET_EVENT_IPV4_ADDR_ADD])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SubscriptionLimitError);
    expect(err).toMatchObject({ code: 'NB_SUBSCRIPTION_LIMIT', needed: 2, limit: 1 });
  });

  it('a throwing handler does not stop the others', async () => {
    const { nm, nb } = await setup();
    const got: string[] = [];
    await nm.addEventCallback(nm.initEventCallback(() => { throw new Error('boom'); }, NET_EVENT_IF_UP));
    await nm.addEventCallback(nm.initEventCallback((e) => got.push(e.name ?? ''), NET_EVENT_IF_UP));
    nb.raise(NET_EVENT_IF_UP, 1);
    await until(() => got.length === 1);
    expect(nm.counters().handlerErrors).toBe(1);
  });
});

describe('eventWait', () => {
  it('does not miss an event raised before the subscription is answered', async () => {
    const { nm, nb } = await setup();
    nb.raiseBeforeSubscribeRsp = { code: NET_EVENT_IPV4_ADDR_ADD, ifindex: 2, info: { family: 4, address: '10.0.2.15' } };
    const ev = await nm.eventWait(NET_EVENT_IPV4_ADDR_ADD, { timeout: 1000 });
    expect(ev).toMatchObject({ name: 'NET_EVENT_IPV4_ADDR_ADD', ifindex: 2, info: { address: '10.0.2.15' } });
    await nm.settled();
    expect(nb.masks).toEqual([]); // the wait's subscription is gone again
  });

  it('times out with a typed -ETIMEDOUT error and unsubscribes', async () => {
    const { nm, nb } = await setup();
    const started = Date.now();
    const err = await nm.eventWait(NET_EVENT_IF_DOWN, { timeout: 80 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).code).toBe('NB_ETIMEDOUT');
    expect((err as Error).message).toMatch(/NET_EVENT_IF_DOWN/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    await nm.settled();
    expect(nb.masks).toEqual([]);
  });

  it('is aborted by a signal', async () => {
    const { nm } = await setup();
    const ac = new AbortController();
    const p = nm.eventWait(NET_EVENT_IF_DOWN, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toBeInstanceOf(AbortError);
  });

  it('on an interface ignores the same event elsewhere', async () => {
    const { nm, nb } = await setup();
    const p = nm.eventWaitOnIface(2, NET_EVENT_IF_UP, { timeout: 1000 });
    await until(() => nb.masks.length === 1);
    nb.raise(NET_EVENT_IF_UP, 1);
    nb.raise(NET_EVENT_IF_UP, 2);
    expect((await p).ifindex).toBe(2);
  });

  it('returns the event a request causes (wait, then act)', async () => {
    const { nm } = await setup();
    const wait = nm.eventWaitOnIface(2, NET_EVENT_IF_DOWN | NET_EVENT_IF_ADMIN_DOWN, { timeout: 1000 });
    await nm.ifaceDown(2);
    expect((await wait).name).toBe('NET_EVENT_IF_ADMIN_DOWN');
  });
});

describe('event stream (async iterator)', () => {
  it('yields events in order and unsubscribes when the loop ends', async () => {
    const { nm, nb } = await setup();
    const stream = nm.events([NET_EVENT_IPV4_ADDR_ADD, NET_EVENT_IPV4_ADDR_DEL]);
    await stream.ready;
    for (let i = 1; i <= 3; i++) nb.raise(NET_EVENT_IPV4_ADDR_ADD, 2, { family: 4, address: `192.0.2.${i}` });
    nb.raise(NET_EVENT_IPV4_ADDR_DEL, 2, { family: 4, address: '192.0.2.1' });
    const seen: string[] = [];
    for await (const ev of stream) {
      seen.push(`${ev.name}:${ev.info?.address}`);
      if (seen.length === 4) break;
    }
    expect(seen).toEqual([
      'NET_EVENT_IPV4_ADDR_ADD:192.0.2.1',
      'NET_EVENT_IPV4_ADDR_ADD:192.0.2.2',
      'NET_EVENT_IPV4_ADDR_ADD:192.0.2.3',
      'NET_EVENT_IPV4_ADDR_DEL:192.0.2.1',
    ]);
    await nm.settled();
    expect(nb.masks).toEqual([]);
  });

  it('bounds its queue and counts what it drops', async () => {
    const { nm, nb } = await setup();
    const stream = nm.events(NET_EVENT_IF_UP, { maxQueue: 3 });
    await stream.ready;
    for (let i = 0; i < 10; i++) nb.raise(NET_EVENT_IF_UP, 1);
    await until(() => nm.counters().eventsIn === 10);
    expect(stream.dropped).toBe(7);
    expect(nm.counters().streamDrops).toBe(7);
    const first = await stream.next();
    expect(first.done).toBe(false);
    await stream.return?.();
    expect((await stream.next()).done).toBe(true);
  });

  it('ends with ClosedError when net_mgmt is detached', async () => {
    const { nm } = await setup();
    const stream = nm.events(NET_EVENT_IF_UP);
    await stream.ready;
    const pending = stream.next();
    nm.close();
    await expect(pending).rejects.toMatchObject({ code: 'NB_CLOSED' });
  });
});

describe('requests', () => {
  it('dumps interfaces with string addresses and named flags', async () => {
    const { nm } = await setup();
    const ifaces = await nm.ifaceDump();
    expect(ifaces.map((i) => i.name)).toEqual(['lo', 'eth0']);
    const lo = ifaces[0];
    expect(lo).toMatchObject({ index: 1, l2: 'DUMMY', mtu: 576, up: true, operUp: true, loopback: true, linkAddress: '', hostname: 'fake' });
    expect(lo?.addresses).toEqual([
      { family: 4, address: '127.0.0.1', prefixLen: 8, state: 'preferred', origin: 'manual', lifetime: undefined },
      { family: 6, address: '::1', prefixLen: 128, state: 'preferred', origin: 'manual', lifetime: undefined },
    ]);
    expect(ifaces[1]).toMatchObject({ linkAddress: '02:00:00:11:22:33', loopback: false });
    expect(await nm.ifaceDump(2)).toHaveLength(1);
  });

  it('repeats an interrupted dump, and gives up with a typed error after the retries', async () => {
    const { nm, nb } = await setup({ dumpRetries: 2 });
    nb.interruptDumps = 2;
    expect(await nm.ifaceDump()).toHaveLength(2);
    expect(nb.dumpCount).toBe(3);
    nb.interruptDumps = 3;
    const err = await nm.ifaceDump().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DumpInterruptedError);
    expect(err).toMatchObject({ code: 'NB_DUMP_INTR', attempts: 3 });
  });

  it('up/down raise the admin and oper events; errors carry the board errno', async () => {
    const { nm } = await setup();
    const got: string[] = [];
    await nm.addEventCallback(nm.initEventCallback((e) => got.push(`${e.name}@${e.ifindex}`), NET_EVENT_IF_UP | NET_EVENT_IF_DOWN | NET_EVENT_IF_ADMIN_UP | NET_EVENT_IF_ADMIN_DOWN));
    await nm.ifaceDown(2);
    await nm.ifaceUp(2);
    await until(() => got.length === 4);
    expect(got).toEqual(['NET_EVENT_IF_ADMIN_DOWN@2', 'NET_EVENT_IF_DOWN@2', 'NET_EVENT_IF_ADMIN_UP@2', 'NET_EVENT_IF_UP@2']);
    const err = await nm.ifaceUp(2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardError);
    expect(err).toMatchObject({ code: 'NB_BOARD_ERRNO', errnoName: 'EALREADY', errno: 120 });
    const nodev = await nm.ifaceDown(9).catch((e: unknown) => e);
    expect(nodev).toMatchObject({ errnoName: 'ENODEV', errno: 19, extack: 'ifindex 9: no such interface' });
  });

  it('adds and deletes IPv4 and IPv6 addresses given as strings', async () => {
    const { nm, nb } = await setup();
    const events = nm.events([NET_EVENT_IPV4_ADDR_ADD | NET_EVENT_IPV4_ADDR_DEL, NET_EVENT_IPV6_ADDR_ADD]);
    await events.ready;
    await nm.addrAdd(2, '192.0.2.7/25');
    await nm.addrAdd(2, '2001:db8::7', { prefixLen: 48 });
    const eth = (await nm.ifaceDump(2))[0];
    expect(eth?.addresses.map((a) => `${a.address}/${a.prefixLen}`)).toEqual(['fe80::11:22ff:fe33:4455/64', '192.0.2.7/25', '2001:db8::7/48']);
    await nm.addrDel(2, '192.0.2.7');
    const e1 = await events.next();
    const e2 = await events.next();
    const e3 = await events.next();
    expect([e1.value?.name, e1.value?.info?.address]).toEqual(['NET_EVENT_IPV4_ADDR_ADD', '192.0.2.7']);
    expect([e2.value?.name, e2.value?.info?.address]).toEqual(['NET_EVENT_IPV6_ADDR_ADD', '2001:db8::7']);
    expect([e3.value?.name, e3.value?.info?.address]).toEqual(['NET_EVENT_IPV4_ADDR_DEL', '192.0.2.7']);
    await events.return?.();
    expect(nb.ifaces.get(2)?.addrs).toHaveLength(2);
    await expect(nm.addrDel(2, '192.0.2.7')).rejects.toMatchObject({ errnoName: 'ENOENT' });
    await expect(nm.addrAdd(2, '192.0.2.300')).rejects.toBeInstanceOf(InvalidAddressError);
  });

  it('DHCPv4 start, hostname set and a registered net_mgmt request', async () => {
    const { nm, nb } = await setup();
    const dhcp = nm.eventWaitOnIface(2, NET_EVENT_IPV4_DHCP_START, { timeout: 1000 });
    await until(() => nb.masks.length === 1);
    await nm.dhcpv4Start(2);
    expect((await dhcp).name).toBe('NET_EVENT_IPV4_DHCP_START');
    const host = nm.eventWait(NET_EVENT_HOSTNAME_CHANGED, { timeout: 1000 });
    await until(() => nb.masks.length === 1 && nb.masks[0] === NET_EVENT_HOSTNAME_CHANGED);
    await nm.hostnameSet('board-7');
    expect((await host).info?.hostname).toBe('board-7');
    expect((await nm.ifaceDump(1))[0]?.hostname).toBe('board-7');

    const code = 0x1234n << 40n;
    nb.registered.set(code, (d) => (d ? Uint8Array.from(d).reverse() : undefined));
    expect(await nm.netMgmt(code, 2, Uint8Array.from([1, 2, 3]))).toEqual(Uint8Array.from([3, 2, 1]));
    expect(await nm.netMgmt(code, 2)).toBeUndefined();
    await expect(nm.netMgmt(code + 1n, 2)).rejects.toMatchObject({ errnoName: 'ENOTSUP', errno: 134 });
  });
});

describe('overrun and reboot', () => {
  it('re-dumps after an event overrun and reports the resync with the drop count', async () => {
    const { nm, nb } = await setup();
    const resyncs: Resync[] = [];
    nm.on('resync', (r: Resync) => resyncs.push(r));
    const got: NetEvent[] = [];
    await nm.addEventCallback(nm.initEventCallback((e) => got.push(e), NET_EVENT_IPV4_ADDR_ADD));
    nb.congested = true;
    nb.queueLimit = 16;
    // 40 addresses keep the dump's iface-item inside the fake board's 1024-byte MTU.
    for (let i = 0; i < 40; i++) nb.addAddr(2, `198.51.100.${i + 1}`);
    await nb.drain();
    await until(() => resyncs.length === 1);
    expect(got).toHaveLength(16);
    expect(resyncs[0]).toMatchObject({ reason: 'overrun', dropped: 24 });
    const eth = resyncs[0]?.interfaces.find((i) => i.index === 2);
    expect(eth?.addresses.filter((a) => a.family === 4)).toHaveLength(40);
    expect(nm.counters().resyncs).toBe(1);
  });

  it('keeps trying a resync whose dumps a flood keeps interrupting', async () => {
    const { nm, nb } = await setup({ dumpRetries: 2 });
    await nm.addEventCallback(nm.initEventCallback(() => {}, NET_EVENT_IPV4_ADDR_ADD));
    const resync = new Promise<Resync>((r) => nm.once('resync', r));
    nb.interruptDumps = 7; // the first resync attempt (3 dumps) and the second fail; the third succeeds
    nb.congested = true;
    nb.queueLimit = 0;
    nb.addAddr(2, '192.0.2.77');
    await nb.drain();
    const r = await resync;
    expect(r).toMatchObject({ reason: 'overrun', dropped: 1 });
    expect(nb.dumpCount).toBe(8);
    expect(nm.counters()).toMatchObject({ resyncs: 1, resyncFailures: 0 });
  });

  it('re-subscribes after a reboot and resyncs', async () => {
    const { nm, nb, board, client } = await setup();
    const got: NetEvent[] = [];
    await nm.addEventCallback(nm.initEventCallback((e) => got.push(e), [NET_EVENT_IF_UP, NET_EVENT_IPV4_ADDR_ADD]));
    const before = [...nb.masks];
    const resync = new Promise<Resync>((r) => nm.once('resync', r));
    await board.reboot();
    nb.afterReboot();
    expect(nb.masks).toEqual([]);
    const r = await resync;
    expect(r.reason).toBe('reboot');
    expect(r.interfaces).toHaveLength(2);
    await until(() => nb.masks.length === before.length);
    expect(nb.masks).toEqual(before);
    expect(client.counters().reboots).toBe(1);
    nb.raise(NET_EVENT_IF_UP, 2);
    await until(() => got.length === 1);
  });
});
