import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Client,
  type IfAddress,
  type NetInterface,
  NetMgmt,
  NetworkMonitor,
  type NetworkMonitorOps,
  type NetworkMonitorOptions,
  createMemoryPair,
} from '../src/index.js';
import { FakeBoard } from './helpers/fake-board.js';
import { NetMgmtBoard } from './helpers/netmgmt-board.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: NetworkMonitorOptions = {}) {
  const [h, b] = createMemoryPair();
  const board = new FakeBoard(b, { silentOps: NetMgmtBoard.silentOps() });
  const nb = new NetMgmtBoard(board);
  cleanups.push(() => board.close());
  const client = await Client.open({ transport: h, timeout: 1000, heartbeatMs: 0 });
  cleanups.push(() => client.close());
  const nm = new NetMgmt(client);
  cleanups.push(() => nm.close());
  const monitor = await NetworkMonitor.create(nm, opts);
  cleanups.push(() => monitor.destroy());
  return { client, board, nb, nm, monitor };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Records every op call as a line, addresses as strings. */
function recorder(): { ops: NetworkMonitorOps; log: string[] } {
  const log: string[] = [];
  const a = (x: IfAddress) => `${x.address}/${x.prefixLen}`;
  return {
    log,
    ops: {
      newInterface: (i: NetInterface) => log.push(`new-if ${i.name}`),
      updateInterface: (i: NetInterface) => log.push(`update-if ${i.name} up=${i.up}`),
      deleteInterface: (i: NetInterface) => log.push(`del-if ${i.name}`),
      newAddress: (i: NetInterface, x: IfAddress) => log.push(`new-addr ${i.name} ${a(x)}`),
      deleteAddress: (i: NetInterface, x: IfAddress) => log.push(`del-addr ${i.name} ${a(x)}`),
    },
  };
}

/** The monitor's view equals its filter applied to a fresh dump (lifetimes aside). */
async function expectViewMatchesBoard(nm: NetMgmt, monitor: NetworkMonitor): Promise<void> {
  await monitor.settled();
  const strip = (l: NetInterface[]) => l.map((i) => ({ ...i, addresses: i.addresses.map((x) => ({ ...x, lifetime: undefined })) }));
  expect(strip(monitor.interfaces())).toEqual(strip(monitor.filter(await nm.ifaceDump())));
}

describe('NetworkMonitor flags', () => {
  it('existing: registerOps reports the interfaces and addresses already there', async () => {
    const { monitor } = await setup({ existing: true });
    const r = recorder();
    monitor.registerOps(r.ops);
    expect(r.log).toEqual([
      'new-if lo',
      'new-addr lo 127.0.0.1/8',
      'new-addr lo ::1/128',
      'new-if eth0',
      'new-addr eth0 fe80::11:22ff:fe33:4455/64',
    ]);
  });

  it('without existing, registerOps reports nothing until something changes', async () => {
    const { monitor } = await setup();
    const r = recorder();
    monitor.registerOps(r.ops);
    expect(r.log).toEqual([]);
    const names: string[] = [];
    monitor.foreachInterface((i) => names.push(i.name));
    expect(names).toEqual(['lo', 'eth0']);
  });

  it('skipLoopback and skipLinkLocal leave those out of the view and the ops', async () => {
    const { monitor, nm, nb } = await setup({ existing: true, skipLoopback: true, skipLinkLocal: true });
    const r = recorder();
    monitor.registerOps(r.ops);
    expect(r.log).toEqual(['new-if eth0']);
    await nm.addrAdd(2, 'fe80::99');
    await nm.addrAdd(2, '169.254.1.1/16');
    await nm.addrAdd(2, '192.0.2.1/24');
    await nm.addrAdd(1, '127.0.0.2/8');
    await until(() => r.log.length === 2);
    await new Promise((res) => setTimeout(res, 30)); // and nothing more comes
    expect(r.log).toEqual(['new-if eth0', 'new-addr eth0 192.0.2.1/24']);
    expect(nb.ifaces.get(2)?.addrs).toHaveLength(4); // the board has them; the monitor skips them
    await expectViewMatchesBoard(nm, monitor);
  });
});

describe('NetworkMonitor ops follow the board', () => {
  it('address add/del and interface down/up', async () => {
    const { monitor, nm } = await setup();
    const r = recorder();
    monitor.registerOps(r.ops);
    // Each request's events arrive after its answer: wait for the op before the next step.
    await nm.addrAdd(2, '192.0.2.5/24');
    await until(() => r.log.length === 1);
    await nm.addrAdd(2, '2001:db8::5/64');
    await until(() => r.log.length === 2);
    await nm.addrDel(2, '192.0.2.5');
    await until(() => r.log.length === 3);
    await nm.ifaceDown(2);
    await until(() => r.log.length === 4);
    await nm.ifaceUp(2);
    await until(() => r.log.length === 5);
    expect(r.log).toEqual([
      'new-addr eth0 192.0.2.5/24',
      'new-addr eth0 2001:db8::5/64',
      'del-addr eth0 192.0.2.5/24',
      'update-if eth0 up=false',
      'update-if eth0 up=true',
    ]);
    await expectViewMatchesBoard(nm, monitor);
  });

  it('unregisterOps stops the calls; a throwing op does not stop the others', async () => {
    const { monitor, nm } = await setup();
    const r = recorder();
    const thrower: NetworkMonitorOps = { newAddress: () => { throw new Error('boom'); } };
    monitor.registerOps(thrower);
    monitor.registerOps(r.ops);
    await nm.addrAdd(2, '192.0.2.5');
    await until(() => r.log.length === 1);
    expect(r.log).toEqual(['new-addr eth0 192.0.2.5/24']);
    expect(monitor.counters().opsErrors).toBe(1);
    expect(monitor.unregisterOps(r.ops)).toBe(true);
    await nm.addrAdd(2, '192.0.2.6');
    await until(() => monitor.counters().refreshes >= 2);
    await monitor.settled();
    expect(r.log).toHaveLength(1);
  });

  it('catches up after an overrun: changes whose events were dropped still reach the ops', async () => {
    const { monitor, nm, nb } = await setup();
    const r = recorder();
    monitor.registerOps(r.ops);
    nb.congested = true;
    nb.queueLimit = 2;
    for (let i = 1; i <= 20; i++) nb.addAddr(2, `198.51.100.${i}/24`);
    nb.delAddr(2, 'fe80::11:22ff:fe33:4455');
    await nb.drain();
    await new Promise<void>((res) => nm.once('resync', () => res()));
    await expectViewMatchesBoard(nm, monitor);
    const adds = r.log.filter((l) => l.startsWith('new-addr'));
    expect(adds).toHaveLength(20);
    expect(r.log).toContain('del-addr eth0 fe80::11:22ff:fe33:4455/64');
    expect(new Set(r.log).size).toBe(r.log.length); // nothing reported twice
  });

  it('after a reboot the monitor diffs the fresh board against its view', async () => {
    const { monitor, nm, nb, board } = await setup({ existing: false });
    const r = recorder();
    monitor.registerOps(r.ops);
    const resync = new Promise<void>((res) => nm.once('resync', () => res()));
    await board.reboot();
    nb.afterReboot();
    // The board came back with eth0 gone and a new interface.
    nb.ifaces.delete(2);
    nb.ifaces.set(3, { index: 3, name: 'ppp0', l2: 'PPP', mtu: 1500, flags: 0b100011, linkAddr: new Uint8Array(), addrs: [] });
    await resync;
    await expectViewMatchesBoard(nm, monitor);
    expect(r.log).toEqual(['del-addr eth0 fe80::11:22ff:fe33:4455/64', 'del-if eth0', 'new-if ppp0']);
  });

  it('its view equals a fresh dump after any sequence of changes (property)', async () => {
    const { monitor, nm, nb } = await setup({ skipLinkLocal: true });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), host: fc.integer({ min: 1, max: 20 }), v6: fc.boolean(), silent: fc.boolean() }),
      fc.record({ kind: fc.constant('del' as const), host: fc.integer({ min: 1, max: 20 }), v6: fc.boolean(), silent: fc.boolean() }),
      fc.record({ kind: fc.constant('updown' as const), host: fc.constant(0), v6: fc.constant(false), silent: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        for (const o of ops) {
          const addr = o.v6 ? `2001:db8::${o.host}` : `192.0.2.${o.host}`;
          const raise = !o.silent;
          if (o.kind === 'add' && !nb.ifaces.get(2)?.addrs.some((a) => a.bytes.length === (o.v6 ? 16 : 4) && a.bytes.at(-1) === o.host)) nb.addAddr(2, addr, undefined, raise);
          if (o.kind === 'del') nb.delAddr(2, addr, raise);
          if (o.kind === 'updown') {
            const i = nb.ifaces.get(2);
            if (i) i.flags ^= 0b11;
          }
        }
        // Whatever was silent is found by the next full refresh, which an overrun would trigger.
        await monitor.refreshAll();
        await expectViewMatchesBoard(nm, monitor);
      }),
      { numRuns: 25 },
    );
  });
});
