/** `netbridge ifaces`: the board's interfaces and addresses (IFACE_DUMP). */
import { NetMgmt } from '../../netmgmt/netmgmt.js';
import { openSession } from '../connect.js';
import type { Ctx } from '../context.js';
import { formatIfaces, ifaceJson } from '../netformat.js';

export async function runIfaces(ctx: Ctx, ifindex: number | undefined): Promise<number> {
  const s = await openSession(ctx, { heartbeatMs: 0, reconnect: false });
  const nm = new NetMgmt(s.client);
  try {
    const ifaces = await nm.ifaceDump(ifindex);
    if (ctx.g.json) for (const i of ifaces) ctx.print(JSON.stringify(ifaceJson(i)));
    else for (const line of formatIfaces(ifaces)) ctx.print(line);
    return 0;
  } finally {
    nm.close();
    await s.close();
  }
}
