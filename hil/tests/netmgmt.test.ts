/**
 * net_mgmt over the bridge against the real firmware: events caused through the bridge, events the
 * board raises by itself (DHCP from QEMU's user-mode network, a link cut from the QEMU monitor, the
 * board's own shell), a flood of 1,000+ events, and the network monitor's view against the board.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BoardError,
  type Client,
  type IfAddress,
  NET_EVENT_HOSTNAME_CHANGED,
  NET_EVENT_IF_ADMIN_DOWN,
  NET_EVENT_IF_ADMIN_UP,
  NET_EVENT_IF_DOWN,
  NET_EVENT_IF_UP,
  NET_EVENT_IPV4_ADDR_ADD,
  NET_EVENT_IPV4_ADDR_DEL,
  NET_EVENT_IPV4_DHCP_BOUND,
  NET_EVENT_IPV4_DHCP_START,
  NET_EVENT_IPV6_ADDR_ADD,
  NET_EVENT_IPV6_ADDR_DEL,
  NET_EVENT_L4_CONNECTED,
  NET_EVENT_L4_DISCONNECTED,
  type NetEvent,
  type NetInterface,
  NetMgmt,
  NetworkMonitor,
  type NetworkMonitorOps,
  type Overrun,
} from '../../src/index.js';
import { type Hil, hil, openClient } from '../lib/suite.js';
import { repoRoot } from '../lib/workspace.js';

const IF_ALL = NET_EVENT_IF_UP | NET_EVENT_IF_DOWN | NET_EVENT_IF_ADMIN_UP | NET_EVENT_IF_ADMIN_DOWN;
const V4_ADDR = NET_EVENT_IPV4_ADDR_ADD | NET_EVENT_IPV4_ADDR_DEL;
const V6_ADDR = NET_EVENT_IPV6_ADDR_ADD | NET_EVENT_IPV6_ADDR_DEL;

/** A symbol of the target's build (.config), for what the configuration leaves out. */
function buildConfig(target: string, symbol: string): string | undefined {
  const file = path.join(repoRoot, 'build', target.replace(/\//g, '_'), 'zephyr', '.config');
  if (!existsSync(file)) return undefined;
  const m = new RegExp(`^${symbol}=(.*)$`, 'm').exec(readFileSync(file, 'utf8'));
  return m?.[1];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

/** Collects events matching `mask` until `pred` holds over them (or times out). */
async function collect(nm: NetMgmt, mask: bigint | bigint[], pred: (evs: NetEvent[]) => boolean, ms: number, act?: () => Promise<unknown> | undefined): Promise<NetEvent[]> {
  const stream = nm.events(mask);
  await stream.ready;
  const got: NetEvent[] = [];
  const timer = setTimeout(() => void stream.return?.(), ms);
  try {
    if (act) await act();
    if (pred(got)) return got;
    for await (const ev of stream) {
      got.push(ev);
      if (pred(got)) return got;
    }
    throw new Error(`events so far: ${got.map((e) => `${e.name}@${e.ifindex}`).join(', ') || 'none'} — wanted more within ${ms} ms`);
  } finally {
    clearTimeout(timer);
    await stream.return?.();
  }
}

const has = (evs: NetEvent[], name: string, ifindex?: number, address?: string) =>
  evs.some((e) => e.name === name && (ifindex === undefined || e.ifindex === ifindex) && (address === undefined || e.info?.address === address));

/** Monitor view == fresh dump with the monitor's flags, ignoring lifetimes that tick by themselves. */
async function viewMatchesBoard(nm: NetMgmt, monitor: NetworkMonitor): Promise<boolean> {
  await monitor.settled();
  const strip = (l: NetInterface[]) => JSON.stringify(l.map((i) => ({ ...i, addresses: i.addresses.map((a) => ({ ...a, lifetime: undefined })) })));
  return strip(monitor.interfaces()) === strip(monitor.filter(await nm.ifaceDump()));
}

describe('net_mgmt over the bridge', () => {
  let h: Hil;
  let client: Client;
  let nm: NetMgmt;
  /** The interface the tests change: the first non-loopback one, else the loopback (native_sim). */
  let iface: NetInterface;
  let ethernet: boolean;
  let ipv6: boolean;
  const overruns: Overrun[] = [];

  beforeAll(async () => {
    h = await hil();
    client = await openClient(h, 20_000);
    client.on('overrun', (o: Overrun) => overruns.push(o));
    nm = new NetMgmt(client);
    const ifaces = await nm.ifaceDump();
    iface = (ifaces.find((i) => !i.loopback) ?? ifaces[0]) as NetInterface;
    ethernet = iface.l2 === 'ETHERNET';
    ipv6 = client.info.features.includes('ipv6');
  });
  afterAll(async () => {
    nm?.close();
    await client?.close();
    h?.control?.close();
  });

  it('dumps the interfaces with their addresses, flags and hostname', async () => {
    const ifaces = await nm.ifaceDump();
    expect(ifaces.length).toBeGreaterThan(0);
    for (const i of ifaces) {
      expect(i.index).toBeGreaterThan(0);
      expect(i.name.length).toBeGreaterThan(0);
      expect(i.hostname.length).toBeGreaterThan(0);
      for (const a of i.addresses) expect(a.address).toMatch(/^[0-9a-f:.]+$/);
    }
    expect(nm.layout).toBe(/^([5-9]|4\.([2-9]|1\.99))/.test(client.info.zephyrVersion) ? '64' : '32');
    expect(new Set(ifaces.map((i) => i.index)).size).toBe(ifaces.length);
    // One interface alone dumps the same.
    const one = await nm.ifaceDump(iface.index);
    expect(one.map((i) => i.name)).toEqual([iface.name]);
    await expect(nm.ifaceDump(250)).rejects.toMatchObject({ errnoName: 'ENODEV' });
  });

  it('down and up through the bridge raise the admin and oper events on that interface', async () => {
    const down = await collect(nm, IF_ALL, (e) => has(e, 'NET_EVENT_IF_ADMIN_DOWN', iface.index) && has(e, 'NET_EVENT_IF_DOWN', iface.index), 5000, () => nm.ifaceDown(iface.index));
    expect(down.every((e) => e.ifindex === iface.index)).toBe(true);
    expect((await nm.ifaceDump(iface.index))[0]).toMatchObject({ up: false, operUp: false });
    const up = await collect(nm, IF_ALL, (e) => has(e, 'NET_EVENT_IF_ADMIN_UP', iface.index) && has(e, 'NET_EVENT_IF_UP', iface.index), 10_000, () => nm.ifaceUp(iface.index));
    expect(up.find((e) => e.name === 'NET_EVENT_IF_UP')?.code).toBe(nm.codes.NET_EVENT_IF_UP);
    await until('interface up in the dump', async () => ((await nm.ifaceDump(iface.index))[0]?.operUp ? true : undefined), 10_000);
  });

  it('IPv4 address add/del arrive with the address in the info and show in the dump', async () => {
    const addr = '192.0.2.77';
    const add = await collect(nm, V4_ADDR, (e) => has(e, 'NET_EVENT_IPV4_ADDR_ADD', iface.index, addr), 5000, () => nm.addrAdd(iface.index, `${addr}/24`));
    expect(add.find((e) => e.info?.address === addr)?.info).toMatchObject({ address: addr });
    const listed = (await nm.ifaceDump(iface.index))[0]?.addresses.find((a) => a.address === addr);
    expect(listed).toMatchObject({ family: 4, prefixLen: 24, origin: 'manual' });
    await collect(nm, V4_ADDR, (e) => has(e, 'NET_EVENT_IPV4_ADDR_DEL', iface.index, addr), 5000, () => nm.addrDel(iface.index, addr));
    expect((await nm.ifaceDump(iface.index))[0]?.addresses.some((a) => a.address === addr)).toBe(false);
  });

  it('deleting an address the interface does not have is a board error', async () => {
    for (const addr of ['192.0.2.78', ...(ipv6 ? ['2001:db8::78'] : [])]) {
      const err = await nm.addrDel(iface.index, addr).catch((e: unknown) => e);
      expect(err, addr).toBeInstanceOf(BoardError);
      expect((err as BoardError).errno, addr).toBeGreaterThan(0);
    }
  });

  it('IPv6 address add/del arrive with the address in the info', async (ctx) => {
    if (!ipv6) ctx.skip(`${h.target} was built without IPv6 (no F_IPV6 in HELLO)`);
    const addr = '2001:db8::77';
    // qemu_cortex_m3 sizes its IPv6 table for link-local + autoconf only (64 KB RAM): the board
    // refuses a third address with ENOSPC, which is its right answer, not a bridge failure.
    const full = await nm.addrAdd(iface.index, `${addr}/64`).then(
      async () => (await nm.addrDel(iface.index, addr), false),
      (err: unknown) => (err as { errnoName?: string }).errnoName === 'ENOSPC',
    );
    if (full) ctx.skip(`${h.target} has no free IPv6 address slot (the board answered ENOSPC)`);
    await collect(nm, V6_ADDR, (e) => has(e, 'NET_EVENT_IPV6_ADDR_ADD', iface.index, addr), 5000, () => nm.addrAdd(iface.index, `${addr}/64`));
    const listed = (await nm.ifaceDump(iface.index))[0]?.addresses.find((a) => a.address === addr);
    expect(listed).toMatchObject({ family: 6, prefixLen: 64 });
    await collect(nm, V6_ADDR, (e) => has(e, 'NET_EVENT_IPV6_ADDR_DEL', iface.index, addr), 5000, () => nm.addrDel(iface.index, addr));
  });

  it('hostname set raises HOSTNAME_CHANGED with the name', async () => {
    const before = (await nm.ifaceDump())[0]?.hostname ?? 'netbridge';
    const evs = await collect(nm, NET_EVENT_HOSTNAME_CHANGED, (e) => e.some((x) => x.info?.hostname === 'nb-hil'), 5000, () => nm.hostnameSet('nb-hil'));
    expect(evs.at(-1)?.name).toBe('NET_EVENT_HOSTNAME_CHANGED');
    expect((await nm.ifaceDump())[0]?.hostname).toBe('nb-hil');
    await nm.hostnameSet(before);
  });

  it('errors carry the board errno', async () => {
    await expect(nm.ifaceUp(250)).rejects.toMatchObject({ code: 'NB_BOARD_ERRNO', errnoName: 'ENODEV', errno: 19 });
  });

  it('DHCPv4 from the emulator: start through the bridge, then bound with an address', async (ctx) => {
    if (!ethernet) ctx.skip(`${h.target} has no Ethernet interface, so no DHCP server (loopback only)`);
    const evs = await collect(
      nm,
      [NET_EVENT_IPV4_DHCP_START | NET_EVENT_IPV4_DHCP_BOUND, NET_EVENT_IPV4_ADDR_ADD],
      (e) => has(e, 'NET_EVENT_IPV4_DHCP_START') && has(e, 'NET_EVENT_IPV4_DHCP_BOUND'),
      30_000,
      async () => {
        await nm.dhcpv4Stop(iface.index);
        await nm.dhcpv4Start(iface.index);
      },
    );
    expect(evs.every((e) => e.ifindex === iface.index)).toBe(true);
    expect(evs.findIndex((e) => e.name === 'NET_EVENT_IPV4_DHCP_START')).toBeLessThan(evs.findIndex((e) => e.name === 'NET_EVENT_IPV4_DHCP_BOUND'));
    const lease = (await nm.ifaceDump(iface.index))[0]?.addresses.find((a) => a.origin === 'dhcp');
    expect(lease?.address).toBe('10.0.2.15');
  });

  it('the lease at boot: after a reset, DHCP bound, the address added and L4 connected arrive', async (ctx) => {
    if (!ethernet) ctx.skip(`${h.target} has no Ethernet interface, so no DHCP server (loopback only)`);
    if (!h.control || h.describe.resetKind !== 'external') ctx.skip('no external reset on this target');
    const conn = buildConfig(h.target, 'CONFIG_NET_CONNECTION_MANAGER') === 'y';
    const stream = nm.events([NET_EVENT_IPV4_DHCP_START | NET_EVENT_IPV4_DHCP_BOUND | NET_EVENT_IPV4_ADDR_ADD, NET_EVENT_L4_CONNECTED]);
    await stream.ready;
    const got: NetEvent[] = [];
    const done = (e: NetEvent[]) => has(e, 'NET_EVENT_IPV4_DHCP_BOUND') && has(e, 'NET_EVENT_IPV4_ADDR_ADD', undefined, '10.0.2.15') && (!conn || has(e, 'NET_EVENT_L4_CONNECTED'));
    const timer = setTimeout(() => void stream.return?.(), 30_000);
    const rebooted = new Promise((r) => client.once('reboot', r));
    await h.control?.reset();
    await rebooted;
    for await (const ev of stream) {
      got.push(ev);
      if (done(got)) break;
    }
    clearTimeout(timer);
    expect(got.map((e) => e.name)).toContain('NET_EVENT_IPV4_DHCP_BOUND');
    expect(got.find((e) => e.name === 'NET_EVENT_IPV4_ADDR_ADD')?.info?.address).toBe('10.0.2.15');
    if (!conn) ctx.skip('L4 connected not checked: CONFIG_NET_CONNECTION_MANAGER is off in this build (Zephyr raises L4 events from conn_mgr)');
    expect(has(got, 'NET_EVENT_L4_CONNECTED')).toBe(true);
  });

  it('L4 disconnected and connected follow the interface down and up (connection manager)', async (ctx) => {
    if (buildConfig(h.target, 'CONFIG_NET_CONNECTION_MANAGER') !== 'y') ctx.skip(`${h.target} is built without CONFIG_NET_CONNECTION_MANAGER (Zephyr raises L4 events from conn_mgr)`);
    // conn_mgr raises L4_DISCONNECTED when the last interface with an address goes: only when the
    // interface under test is the only one.
    const others = (await nm.ifaceDump()).filter((i) => i.index !== iface.index && i.operUp && i.addresses.some((a) => !/^(fe80:|169\.254\.)/.test(a.address)));
    if (others.length > 0) ctx.skip(`${h.target} has other connected interfaces (${others.map((i) => i.name).join(', ')}): taking one down changes no L4 state`);
    const L4 = NET_EVENT_L4_CONNECTED | NET_EVENT_L4_DISCONNECTED;
    const down = await collect(nm, L4, (e) => has(e, 'NET_EVENT_L4_DISCONNECTED'), 10_000, () => nm.ifaceDown(iface.index));
    expect(down.find((e) => e.name === 'NET_EVENT_L4_DISCONNECTED')?.ifindex).toBe(iface.index);
    // Up again: connected once the interface has an address (the DHCP lease again on Ethernet).
    const up = await collect(nm, L4, (e) => has(e, 'NET_EVENT_L4_CONNECTED'), 30_000, () => nm.ifaceUp(iface.index));
    expect(up.find((e) => e.name === 'NET_EVENT_L4_CONNECTED')?.ifindex).toBe(iface.index);
    await until('interface up in the dump', async () => ((await nm.ifaceDump(iface.index))[0]?.operUp ? true : undefined), 10_000);
  });

  it('a link cut and restored from the emulator arrives as IF_DOWN then IF_UP', async (ctx) => {
    if (!h.control || !h.describe.canSetLink) ctx.skip(`${h.target} has no link to cut (no QEMU monitor set_link)`);
    // QEMU's stellaris_enet model (qemu_cortex_m3) does not model the PHY: MII reads return 0
    // whatever the link, it raises no PHY interrupt and has no link-status hook, so set_link only
    // drops frames. Unlike the smsc911x (mps2/an385, firmware/app/src/carrier_watch.c), there is no
    // register a carrier watcher could poll.
    if (h.target === 'qemu_cortex_m3') ctx.skip("QEMU's stellaris_enet exposes no link state to the guest (PHY not modelled): a set_link cut is invisible to the board");
    const down = await collect(nm, IF_ALL, (e) => has(e, 'NET_EVENT_IF_DOWN', iface.index), 10_000, () => h.control?.setLink(false));
    expect(has(down, 'NET_EVENT_IF_ADMIN_DOWN')).toBe(false); // the carrier went, not the admin state
    expect((await nm.ifaceDump(iface.index))[0]).toMatchObject({ up: true, operUp: false });
    await collect(nm, IF_ALL, (e) => has(e, 'NET_EVENT_IF_UP', iface.index), 10_000, () => h.control?.setLink(true));
  });

  it("changes made from the board's own shell arrive too", async (ctx) => {
    if (!h.control || !h.describe.hasConsole) ctx.skip(`${h.target} has no console UART here`);
    // A console that has printed nothing since boot (a real board's console left unconnected) runs
    // no shell we can type into.
    if (((await h.control?.consoleOutput()) ?? '').trim() === '') ctx.skip(`${h.target}: the console UART printed nothing since boot, so there is no shell to type into`);
    const addr = '192.0.2.88';
    const evs = await collect(nm, V4_ADDR, (e) => has(e, 'NET_EVENT_IPV4_ADDR_ADD', iface.index, addr), 10_000, () =>
      h.control?.consoleWrite(`net ipv4 add ${iface.index} ${addr} 255.255.255.0\n`),
    );
    expect(evs.some((e) => e.info?.address === addr)).toBe(true);
    await collect(nm, V4_ADDR, (e) => has(e, 'NET_EVENT_IPV4_ADDR_DEL', iface.index, addr), 10_000, () =>
      h.control?.consoleWrite(`net ipv4 del ${iface.index} ${addr}\n`),
    );
  });

  it('a flood of 1,000+ events: none lost, or an overrun reported and the monitor still right', async () => {
    const monitor = await NetworkMonitor.create(nm);
    try {
      const rounds = 500; // one add and one delete each: 1,000 events
      const stream = nm.events(V4_ADDR, { maxQueue: 4 * rounds });
      await stream.ready;
      const overrunsBefore = overruns.filter((o) => o.what === 'events').length;
      const resyncs: unknown[] = [];
      nm.on('resync', (r) => resyncs.push(r));
      const addr = (i: number) => `198.51.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`;
      // One extra address at a time: small boards have few IPv4 slots (loopback on native_sim).
      // Sequential requests still raise events faster than a small board's queue drains them.
      try {
        for (let i = 0; i < rounds; i++) {
          await nm.addrAdd(iface.index, addr(i), { prefixLen: 16, timeout: 30_000 });
          await nm.addrDel(iface.index, addr(i), { timeout: 30_000 });
        }
      } finally {
        const left = (await nm.ifaceDump(iface.index))[0]?.addresses.filter((a) => a.address.startsWith('198.51.')) ?? [];
        for (const a of left) await nm.addrDel(iface.index, a.address).catch(() => undefined);
      }
      // Let the board's queue drain, then count what came.
      let count = 0;
      let quiet = 0;
      const seen = new Set<string>();
      while (quiet < 20) {
        const next = await Promise.race([stream.next(), sleep(100).then(() => undefined)]);
        if (next && !next.done) {
          count++;
          seen.add(`${next.value.name}:${next.value.info?.address}`);
          quiet = 0;
        } else quiet++;
      }
      await stream.return?.();
      const overran = overruns.filter((o) => o.what === 'events').length > overrunsBefore;
      if (!overran) {
        expect(count).toBe(2 * rounds);
        expect(seen.size).toBe(2 * rounds);
      } else {
        expect(count).toBeLessThan(2 * rounds + 1);
        await until('resync after the overrun', () => (resyncs.length > 0 ? true : undefined), 20_000);
      }
      await until('monitor view equals the board', async () => ((await viewMatchesBoard(nm, monitor)) ? true : undefined), 20_000);
      expect(monitor.interfaces().find((i) => i.index === iface.index)?.addresses.some((a) => a.address.startsWith('198.51.'))).toBe(false);
    } finally {
      await monitor.destroy();
    }
  }, 300_000);
});

describe('network monitor against the board', () => {
  let h: Hil;
  let client: Client;
  let nm: NetMgmt;
  let iface: NetInterface;

  beforeAll(async () => {
    h = await hil();
    client = await openClient(h, 20_000);
    nm = new NetMgmt(client);
    const ifaces = await nm.ifaceDump();
    iface = (ifaces.find((i) => !i.loopback) ?? ifaces[0]) as NetInterface;
  });
  afterAll(async () => {
    nm?.close();
    await client?.close();
    h?.control?.close();
  });

  function recorder() {
    const log: string[] = [];
    const a = (x: IfAddress) => x.address;
    const ops: NetworkMonitorOps = {
      newInterface: (i) => log.push(`new-if ${i.index}`),
      updateInterface: (i) => log.push(`update-if ${i.index} up=${i.up}`),
      deleteInterface: (i) => log.push(`del-if ${i.index}`),
      newAddress: (i, x) => log.push(`new-addr ${i.index} ${a(x)}`),
      deleteAddress: (i, x) => log.push(`del-addr ${i.index} ${a(x)}`),
    };
    return { log, ops };
  }

  it('existing reports every dumped interface and address; the flags filter them', async () => {
    const dump = await nm.ifaceDump();
    const all = await NetworkMonitor.create(nm, { existing: true });
    const r = recorder();
    all.registerOps(r.ops);
    expect(r.log.filter((l) => l.startsWith('new-if')).length).toBe(dump.length);
    expect(r.log.filter((l) => l.startsWith('new-addr')).length).toBe(dump.reduce((n, i) => n + i.addresses.length, 0));
    await all.destroy();

    const filtered = await NetworkMonitor.create(nm, { existing: true, skipLoopback: true, skipLinkLocal: true });
    const f = recorder();
    filtered.registerOps(f.ops);
    const loops = dump.filter((i) => i.loopback).map((i) => i.index);
    for (const l of f.log) expect(loops.includes(Number(l.split(' ')[1]))).toBe(false);
    expect(f.log.some((l) => / fe80:|169\.254\./.test(l))).toBe(false);
    expect(await viewMatchesBoard(nm, filtered)).toBe(true);
    await filtered.destroy();
  });

  it('ops match what happened: address add/del, interface down/up', async () => {
    const monitor = await NetworkMonitor.create(nm);
    const r = recorder();
    monitor.registerOps(r.ops);
    try {
      const addr = '192.0.2.66';
      await nm.addrAdd(iface.index, `${addr}/24`);
      await until('newAddress', () => (r.log.includes(`new-addr ${iface.index} ${addr}`) ? true : undefined), 5000);
      await nm.addrDel(iface.index, addr);
      await until('deleteAddress', () => (r.log.includes(`del-addr ${iface.index} ${addr}`) ? true : undefined), 5000);
      await nm.ifaceDown(iface.index);
      await until('updateInterface down', () => (r.log.includes(`update-if ${iface.index} up=false`) ? true : undefined), 5000);
      await nm.ifaceUp(iface.index);
      await until('updateInterface up', () => (r.log.includes(`update-if ${iface.index} up=true`) ? true : undefined), 10_000);
      expect(r.log.some((l) => l.startsWith('new-if') || l.startsWith('del-if'))).toBe(false);
      await until('monitor view equals the board', async () => ((await viewMatchesBoard(nm, monitor)) ? true : undefined), 20_000);
    } finally {
      await monitor.destroy();
    }
  });

  it('after a reboot the view equals the board again', async () => {
    const monitor = await NetworkMonitor.create(nm);
    try {
      // Something that only this boot has: gone after the reboot, so the monitor must notice.
      await nm.addrAdd(iface.index, '192.0.2.55/24');
      await until('address in view', () => (monitor.interfaces().some((i) => i.addresses.some((a) => a.address === '192.0.2.55')) ? true : undefined), 5000);
      const r = recorder();
      monitor.registerOps(r.ops);
      const resync = new Promise((res) => nm.once('resync', res));
      if (h.control && h.describe.resetKind === 'external') await h.control.reset();
      else await client.reboot();
      await resync;
      await until('deleteAddress after reboot', () => (r.log.includes(`del-addr ${iface.index} 192.0.2.55`) ? true : undefined), 20_000);
      await until('monitor view equals the board', async () => ((await viewMatchesBoard(nm, monitor)) ? true : undefined), 30_000);
    } finally {
      await monitor.destroy();
    }
  });
});
