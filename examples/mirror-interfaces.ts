/**
 * Mirror the board's interfaces and addresses on the host with the network monitor, in the style of
 * mptcpd's network monitor: the monitor keeps a view equal to the board's state and calls the
 * registered ops for each change, including after an event overrun or a board reboot (resync).
 *
 *   npx tsx examples/mirror-interfaces.ts /dev/ttyACM0      (Ctrl-C to stop)
 */
import { Client, type IfAddress, type NetInterface, NetMgmt, NetworkMonitor } from '../src/index.js';

const port = process.argv[2] ?? process.env.NETBRIDGE_PORT;
if (!port) {
  console.error('usage: tsx examples/mirror-interfaces.ts <port>');
  process.exit(2);
}

const client = await Client.open({ path: port, timeout: 15_000 });
const nm = new NetMgmt(client);
/** The mirror: ifindex -> interface, as the monitor reports it. */
const mirror = new Map<number, NetInterface>();
const show = (what: string, i: NetInterface, a?: IfAddress) =>
  console.log(`${new Date().toISOString()} ${what.padEnd(16)} ${i.index}:${i.name}${a ? ` ${a.address}/${a.prefixLen} (${a.origin})` : ` ${i.up ? 'up' : 'down'}`}`);

const monitor = await NetworkMonitor.create(nm, { existing: true, skipLinkLocal: true });
monitor.registerOps({
  newInterface: (i) => (mirror.set(i.index, i), show('new interface', i)),
  updateInterface: (i) => (mirror.set(i.index, i), show('update', i)),
  deleteInterface: (i) => (mirror.delete(i.index), show('delete interface', i)),
  newAddress: (i, a) => show('new address', i, a),
  deleteAddress: (i, a) => show('delete address', i, a),
});
nm.on('resync', (r: { reason: string; dropped: number }) => console.log(`resynced after ${r.reason} (${r.dropped} events dropped by the board)`));

// Ctrl-C: print the mirror, then close the monitor, the event layer and the session in order.
process.once('SIGINT', () => {
  console.log(`\n${mirror.size} interface(s) mirrored:`);
  for (const i of monitor.interfaces()) console.log(`  ${i.index}:${i.name} ${i.addresses.map((a) => a.address).join(' ')}`);
  monitor
    .destroy()
    .then(() => nm.close())
    .then(() => client.close())
    .then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
});
