/**
 * Pure formatting of net_mgmt data for the CLI: interface tables, one line per event (human or
 * JSON), overrun and resync lines, and event-name arguments turned into masks.
 */
import type { Overrun } from '../codec/session-bodies.js';
import type { EventInfo, NetInterface } from '../netmgmt/bodies.js';
import { flagNames } from '../netmgmt/bodies.js';
import { type EventLayout, NET_MGMT_LAYER_CODE, composeEventCode, eventCodes, eventName } from '../netmgmt/codes.js';
import type { NetEvent, Resync } from '../netmgmt/netmgmt.js';
import { UsageError } from './errors.js';
import { formatTable } from './format.js';

export function formatIfaces(ifaces: NetInterface[]): string[] {
  if (ifaces.length === 0) return ['no interfaces'];
  return formatTable(
    ['IDX', 'NAME', 'L2', 'MTU', 'STATE', 'LINK ADDRESS', 'ADDRESSES'],
    ifaces.map((i) => [
      String(i.index),
      i.name || '-',
      i.l2,
      String(i.mtu),
      [i.up ? 'up' : 'down', ...(i.up && !i.operUp ? ['no-carrier'] : []), ...(i.loopback ? ['loopback'] : [])].join(','),
      i.linkAddress || '-',
      i.addresses.map((a) => `${a.address}/${a.prefixLen}${a.origin === 'dhcp' ? ' (dhcp)' : ''}`).join(', ') || '-',
    ]),
  );
}

/** The JSON form of an interface: the library's object plus its flag names. */
export function ifaceJson(i: NetInterface): Record<string, unknown> {
  return { ...i, flagNames: flagNames(i.flags) };
}

export function codeHex(code: bigint): string {
  return `0x${code.toString(16).padStart(16, '0')}`;
}

const LAYER_NAMES: Record<number, string> = { 1: 'L2', 2: 'L3', 3: 'L4' };

/** One JSON object per event line; `time` is the host's receive time. */
export function eventJson(ev: NetEvent, layout: EventLayout, time: Date): Record<string, unknown> {
  return {
    type: 'event',
    time: time.toISOString(),
    event: ev.name ?? eventName(ev.code, layout),
    code: codeHex(ev.code),
    layer: LAYER_NAMES[ev.layer] ?? `layer${ev.layer}`,
    iface: ev.ifindex,
    info: ev.info ?? null,
    uptimeMs: ev.uptimeMs,
    seq: ev.seq,
  };
}

export function formatInfoFields(info: EventInfo | undefined): string {
  if (!info) return '';
  const parts: string[] = [];
  const addr = info.address !== undefined ? `${info.address}${info.prefixLen !== undefined ? `/${info.prefixLen}` : ''}` : undefined;
  if (addr) parts.push(addr);
  for (const [k, v] of Object.entries(info)) {
    if (k === 'address' || k === 'prefixLen' || k === 'family' || v === undefined) continue;
    parts.push(`${k}=${String(v)}`);
  }
  return parts.join(' ');
}

function clock(time: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(time.getHours())}:${p(time.getMinutes())}:${p(time.getSeconds())}.${p(time.getMilliseconds(), 3)}`;
}

export function formatEventLine(ev: NetEvent, layout: EventLayout, time: Date): string {
  const name = (ev.name ?? eventName(ev.code, layout)).replace(/^NET_EVENT_/, '');
  const rest = formatInfoFields(ev.info);
  return `${clock(time)}  ${name.padEnd(20)} iface ${ev.ifindex}${rest ? `  ${rest}` : ''}`;
}

export function overrunJson(o: Overrun, time: Date): Record<string, unknown> {
  return { type: 'overrun', time: time.toISOString(), what: o.what, count: o.count, total: o.total };
}

export function formatOverrunLine(o: Overrun, time: Date): string {
  return `${clock(time)}  OVERRUN              the board dropped ${o.count} ${o.what} (${o.total} since boot); resyncing`;
}

export function resyncJson(r: Resync, time: Date): Record<string, unknown> {
  return { type: 'resync', time: time.toISOString(), reason: r.reason, dropped: r.dropped, interfaces: r.interfaces.map(ifaceJson) };
}

export function formatResyncLine(r: Resync, time: Date): string {
  const ifs = r.interfaces.map((i) => `${i.index}:${i.name || '?'} ${i.up ? 'up' : 'down'} [${i.addresses.map((a) => a.address).join(' ')}]`);
  return `${clock(time)}  RESYNC               after ${r.reason}${r.dropped ? ` (${r.dropped} dropped)` : ''}: ${ifs.join('; ')}`;
}

/** Event families the monitor watches by default, most useful first (the board's slots are few). */
const DEFAULT_FAMILIES: { name: string; layer: number; layerCode: number }[] = [
  { name: 'IF', layer: 1, layerCode: NET_MGMT_LAYER_CODE.IFACE },
  { name: 'IPV4', layer: 2, layerCode: NET_MGMT_LAYER_CODE.IPV4 },
  { name: 'IPV6', layer: 2, layerCode: NET_MGMT_LAYER_CODE.IPV6 },
  { name: 'L4', layer: 3, layerCode: NET_MGMT_LAYER_CODE.L4 },
  { name: 'ETHERNET', layer: 1, layerCode: NET_MGMT_LAYER_CODE.ETHERNET },
  { name: 'CONN', layer: 1, layerCode: NET_MGMT_LAYER_CODE.CONN },
];

/** Whole-family masks (command 0 matches every command), at most `slots` of them. */
export function defaultMasks(slots: number): { masks: bigint[]; families: string[] } {
  const chosen = DEFAULT_FAMILIES.slice(0, Math.max(1, slots));
  return {
    masks: chosen.map((f) => composeEventCode({ layer: f.layer, layerCode: f.layerCode, command: 0, onIface: true })),
    families: chosen.map((f) => f.name),
  };
}

/**
 * --event arguments to masks (64-bit constants; the library converts for 3.7 boards). Accepts
 * "NET_EVENT_IF_UP", "IF_UP", any case, and a trailing * for a prefix ("IPV4_*", "IPV4_DHCP_*").
 */
export function eventMasks(names: string[]): bigint[] {
  const codes = eventCodes('64');
  const all = Object.keys(codes);
  const masks: bigint[] = [];
  for (const raw of names) {
    const want = raw.toUpperCase().replace(/^NET_EVENT_/, '');
    const matches = want.endsWith('*')
      ? all.filter((n) => n.startsWith(`NET_EVENT_${want.slice(0, -1)}`))
      : all.filter((n) => n === `NET_EVENT_${want}`);
    if (matches.length === 0) {
      const near = all.filter((n) => n.includes(want.replace(/\*$/, ''))).slice(0, 3);
      throw new UsageError(`unknown event "${raw}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`);
    }
    for (const m of matches) masks.push(codes[m] as bigint);
  }
  return [...new Set(masks)];
}
