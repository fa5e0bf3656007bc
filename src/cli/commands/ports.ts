/**
 * `netbridge ports`: the serial ports serialport lists (plus any paths given, e.g. ptys, which udev
 * does not list), each probed with the netbridge handshake unless --no-probe.
 */
import { SerialPort } from 'serialport';
import { Client } from '../../session/client.js';
import type { Ctx } from '../context.js';
import { CliError } from '../errors.js';
import { type PortRow, formatPorts } from '../format.js';

export interface PortsOptions {
  probe: boolean;
  probeTimeout: number;
}

interface Listed {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

/** serialport's list() runs udevadm on Linux; its absence surfaces as ENOENT from spawn. */
export async function listSerialPorts(list: () => Promise<Listed[]> = () => SerialPort.list()): Promise<Listed[]> {
  try {
    return await list();
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/udevadm|ENOENT/.test(msg)) {
      throw new CliError(
        'NB_CLI_NO_UDEVADM',
        'listing serial ports needs udevadm (Debian/Ubuntu: apt-get install udev); or name the port with --port',
        1,
        { cause: err },
      );
    }
    throw new CliError('NB_CLI_PORT_LIST', `cannot list serial ports: ${msg}`, 1, { cause: err });
  }
}

/** One handshake attempt, no reconnects, no heartbeat. */
async function probe(path: string, baudRate: number, timeout: number): Promise<Pick<PortRow, 'netbridge' | 'probeError'>> {
  let client: Client | undefined;
  try {
    client = await Client.open({ path, baudRate, timeout, reconnect: false, heartbeatMs: 0 });
    const i = client.info;
    return { netbridge: { board: i.board, firmwareVersion: i.firmwareVersion, bootId: i.bootId }, probeError: null };
  } catch (err) {
    return { netbridge: null, probeError: err instanceof Error ? err.message : String(err) };
  } finally {
    await client?.close();
  }
}

export async function runPorts(ctx: Ctx, extraPaths: string[], opts: PortsOptions): Promise<number> {
  const listed = await listSerialPorts();
  for (const p of extraPaths) if (!listed.some((l) => l.path === p)) listed.push({ path: p });
  if (opts.probe && listed.length > 0) ctx.progress(`probing ${listed.length} port(s) for a netbridge board...`);
  const rows: PortRow[] = await Promise.all(
    listed.map(async (l) => ({
      path: l.path,
      manufacturer: l.manufacturer ?? null,
      serialNumber: l.serialNumber ?? null,
      vendorId: l.vendorId ?? null,
      productId: l.productId ?? null,
      ...(opts.probe ? await probe(l.path, ctx.g.baud, opts.probeTimeout) : { netbridge: null, probeError: null }),
    })),
  );
  if (ctx.g.json) {
    for (const r of rows) ctx.print(JSON.stringify(r));
  } else {
    for (const line of formatPorts(rows, ctx.out.green)) ctx.print(line);
    if (opts.probe && rows.some((r) => r.netbridge)) ctx.print(ctx.out.dim('* answers the netbridge handshake'));
  }
  return 0;
}
