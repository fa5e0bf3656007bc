/**
 * Wait for the board's DHCPv4 lease and print it.
 *
 *   npx tsx examples/dhcp-lease.ts /dev/ttyACM0 [--renew]
 *
 * A board that already holds a lease reports it from the interface dump; with --renew (or without a
 * lease) the client is restarted and the example waits for NET_EVENT_IPV4_DHCP_BOUND, whose info
 * the board decodes into address, netmask, gateway, server and lease time.
 */
import { Client, NET_EVENT_IPV4_DHCP_BOUND, NetMgmt, TimeoutError, hasFlag } from '../src/index.js';

const [port = process.env.NETBRIDGE_PORT, ...flags] = process.argv.slice(2);
if (!port) {
  console.error('usage: tsx examples/dhcp-lease.ts <port> [--renew]');
  process.exit(2);
}
const renew = flags.includes('--renew');

const client = await Client.open({ path: port, timeout: 15_000 });
const nm = new NetMgmt(client);
try {
  const ifaces = await nm.ifaceDump();
  const iface = ifaces.find((i) => hasFlag(i.flags, 'DHCPV4')) ?? ifaces.find((i) => !i.loopback);
  if (!iface) throw new Error('the board has no interface that could take a lease');
  const leased = iface.addresses.find((a) => a.family === 4 && a.origin === 'dhcp');
  if (leased && !renew) {
    console.log(`${iface.name}: ${leased.address}/${leased.prefixLen}, ${leased.lifetime ?? 'infinite'} s left (from the interface dump)`);
  } else {
    // Subscribe before restarting the client, so the BOUND event cannot slip past.
    const bound = nm.eventWaitOnIface(iface.index, NET_EVENT_IPV4_DHCP_BOUND, { timeout: 60_000 });
    await nm.dhcpv4Stop(iface.index).catch(() => undefined); // not running yet: fine
    await nm.dhcpv4Start(iface.index);
    console.log(`${iface.name}: DHCPv4 started, waiting for a lease...`);
    const ev = await bound;
    const i = ev.info ?? {};
    console.log(`${iface.name}: leased ${i.address}${i.netmask ? ` netmask ${i.netmask}` : ''}` +
      `${i.nexthop ? ` gateway ${i.nexthop}` : ''}${i.dhcpServer ? ` from ${i.dhcpServer}` : ''}` +
      `${i.lifetime !== undefined ? ` for ${i.lifetime} s` : ''}`);
  }
} catch (err) {
  console.error(err instanceof TimeoutError ? 'no lease within 60 s (is there a DHCP server on the link?)' : err);
  process.exitCode = 1;
} finally {
  nm.close();
  await client.close();
}
